"""The ``player`` writer: ``OUTDIR/player/``, a self-contained HTML page that plays every clip in sync under one set
of controls (issue 10, section 2). It opens by double-click (file://) or through ``mvsync serve``; nothing is
fetched from the network.

What it writes::

    player/index.html, player.js, player.css   the page (copied from ``player_assets``)
    player/sync-data.js                        the sync map, as ``window.MVSYNC_DATA = {...}`` (file:// pages cannot
                                               fetch JSON, they can load a script), with each clip's pose landmarks
                                               (the skeleton overlay and the joint angles; ``PlayerOptions.skeleton``)
    player/media/00-<name>.mp4 ...             the clips: copied (or linked) when a browser plays them as they are,
                                               else transcoded once to H.264 mp4

The page drives every ``<video>`` from one timeline clock: clip ``k`` shows, at timeline time ``t``, the moment
``media_time[k]`` maps to ``t`` (see :func:`player_data`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..errors import InputError, OutputExistsError
from ..io import VideoWriter, is_browser_playable, probe, read_frames
from ..result import SyncResult, VideoTrack
from .base import WRITERS, writes
from .marks import Mark, marks_record
from .options import PlayerOptions, RenderOptions

ASSETS = ("index.html", "player.js", "player.css")
KEYFRAME_EVERY_S = 0.5  # transcoded clips get a keyframe this often, so that seeking (all the player does) is quick


@WRITERS.register("player")
@writes("player")
def write_player(result: SyncResult, out_dir: Path, *, options: RenderOptions, overwrite: bool = False,
                 progress: bool = False) -> list[Path]:
    """The ``player`` writer: the folder ``out_dir/player`` (see :func:`render_player`); returns its files, the page
    first."""
    folder = render_player(result, Path(out_dir) / "player", options=options.player, marks=options.marks,
                           overwrite=overwrite, progress=progress)
    files = sorted(path for path in folder.rglob("*") if not path.is_dir())
    return sorted(files, key=lambda path: path.name != "index.html")


def render_player(result: SyncResult, folder: str | Path, *, options: PlayerOptions = PlayerOptions(),
                  marks: tuple[Mark, ...] = (), overwrite: bool = False, progress: bool = False) -> Path:
    """Write the player folder ``folder``: the page, ``sync-data.js`` and the media. Returns ``folder``.

    The folder is built beside its final place and renamed into it at the end, so a failure leaves nothing and an
    existing player is replaced only with ``overwrite``.

    >>> sorted(p.name for p in render_player(SyncResult.load("out/sync.json"), "out/player").iterdir())
    ['index.html', 'media', 'player.css', 'player.js', 'sync-data.js']
    """
    folder = Path(folder)
    if folder.exists() and not overwrite:
        raise OutputExistsError(f"{folder}: already exists")
    sources = [Path(track.path) for track in result.videos]
    for source in sources:
        if not source.exists():
            raise InputError(f"{source}: no such file (a clip of the sync result; paths are relative to the folder "
                             f"mvsync sync ran in)")
    playable = [is_browser_playable(source) for source in sources]
    partial = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        (partial / "media").mkdir(parents=True)
        media = [_media(track, source, partial / "media", k, playable[k], options, progress)
                 for k, (track, source) in enumerate(zip(result.videos, sources))]
        poses = None if options.skeleton is False else player_poses(
            result, cache_dir=options.cache_dir, extract=bool(options.skeleton), progress=progress,
            model_rate=options.pose_rate)
        data = player_data(result, [path.relative_to(partial).as_posix() for path in media],
                           transcoded=[not p for p in playable], poses=poses)
        data["marks"] = [marks_record(mark) for mark in marks]
        (partial / "sync-data.js").write_text(f"window.MVSYNC_DATA = {json.dumps(data)};\n", encoding="utf-8")
        assets = resources.files(__package__) / "player_assets"
        for name in ASSETS:
            (partial / name).write_bytes((assets / name).read_bytes())
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(partial, folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def player_data(result: SyncResult, media: list[str], *, transcoded: list[bool], poses: list[dict | None] | None = None
                ) -> dict:
    """What the page needs, as JSON: the timeline, and per clip its media file and the map from each timeline frame
    to the media's own time (``media_time``; null where the clip has no content) and to the source's time, and its
    ``pose`` (:func:`player_poses`; null: none).

    A copied clip's media time is its source time. A transcoded clip has frame ``i`` at ``i / fps`` (the transcoder
    writes a constant rate), so its media time is the mapped source frame divided by its rate.
    """
    clips = []
    poses = poses or [None] * len(result.videos)
    for track, path, recoded, pose in zip(result.videos, media, transcoded, poses):
        media_time = track.source_frame / track.fps if recoded else track.source_time
        clips.append({"path": track.path, "name": Path(track.path).name, "media": path, "fps": track.fps,
                      "num_frames": track.num_frames, "transcoded": recoded,
                      "media_time": _to_list(media_time), "source_time": _to_list(track.source_time), "pose": pose})
    events = [{"name": e.name, "timeline_s": e.timeline_s} for e in result.events if np.isfinite(e.timeline_s)]
    return {"fps": result.fps, "length": result.length, "method": result.method, "features": result.features,
            "clips": clips, "events": events, "body": body_definitions()}


def body_definitions() -> dict:
    """The angles the page reads from the landmarks, from :mod:`mvsync.features.joint_angles` (one definition
    for ``mvsync angles`` and the page): ``joints`` (name: the three landmarks, the angle at the middle one),
    ``trunk`` (the shoulders' and hips' landmarks) and ``min_visibility``."""
    from ..features.joint_angles import JOINTS, MIN_VISIBILITY, TRUNK_LEAN, angle_landmarks

    return {"joints": {name: list(points) for name, points in JOINTS.items()},
            "trunk": list(angle_landmarks(TRUNK_LEAN)), "min_visibility": MIN_VISIBILITY}


def player_poses(result: SyncResult, *, cache_dir: str | None = None, extract: bool = False, progress: bool = False,
                 model_rate: float | None = None) -> list[dict | None]:
    """Per clip, what the skeleton overlay and the angle readout draw: ``size`` (the displayed frame, pixels),
    ``landmarks`` (per pose row, 33 x (x, y, visibility) as fractions of the frame, flattened, 4 decimals) and
    ``rows`` (per timeline frame, the row the clip shows there: null where it has no content or no person). None
    for a clip where the pose model finds nobody, or whose pose features are not cached (unless ``extract``; then
    the model runs at ``model_rate``, the pose extractor's option, when the cache has none)."""
    from ..applications.body_angles import image_landmarks, rows_shown
    from ..features import extract_features
    from ..features.extract import cached_features

    paths = [track.path for track in result.videos]
    if extract:
        failures: list[str] = []
        cached = cached_features(paths, kind="pose", cache_dir=cache_dir)  # every frame's, when the sync used pose
        missing = [path for path, feats in zip(paths, cached) if feats is None]
        found = {str(f.path): f for f in extract_features(missing, kind="pose", cache_dir=cache_dir, progress=progress,
                                                          failures=failures, min_detected=0.0, model_rate=model_rate)
                 } if missing else {}
        features = [feats if feats is not None else found.get(str(path)) for path, feats in zip(paths, cached)]
    else:
        features = cached_features(paths, kind="pose", cache_dir=cache_dir)
    poses: list[dict | None] = []
    for track, feats in zip(result.videos, features):
        if feats is None or not feats.valid.any() or "image_landmarks" not in feats.meta:
            poses.append(None)
            continue
        info = probe(track.path)
        marks = np.round(image_landmarks(feats), 4)
        rows = rows_shown(track.source_time, feats)
        poses.append({"size": [info.width, info.height], "landmarks": marks.reshape(len(marks), -1).tolist(),
                      "rows": [None if r < 0 else int(r) for r in rows]})
    return poses


def _media(track: VideoTrack, source: Path, media_dir: Path, k: int, playable: bool, options: PlayerOptions,
           progress: bool) -> Path:
    """Clip ``k``'s file in the player: ``source`` copied or linked when playable, else transcoded to H.264 mp4."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", source.stem if source.is_file() else source.name) or "clip"
    if not playable:
        return _transcode(source, media_dir / f"{k:02d}-{stem}.mp4", progress)
    target = media_dir / f"{k:02d}-{stem}{source.suffix.lower()}"
    if options.link_media:
        try:
            os.link(source, target)  # survives the folder being moved; fails across file systems
        except OSError:
            target.symlink_to(source.resolve())
    else:
        shutil.copyfile(source, target)
    return target


def _transcode(source: Path, target: Path, progress: bool) -> Path:
    """Re-encode every frame of ``source`` (a video or image folder) to browser-playable H.264 at its average rate."""
    info = probe(source)
    with VideoWriter(target, fps=info.fps, size=(info.width, info.height),
                     keyframe_every=max(1, round(info.fps * KEYFRAME_EVERY_S))) as writer:
        frames = read_frames(source)
        for frame in tqdm(frames, total=info.num_frames, desc=f"player: transcode {source.name}", unit="frame",
                          disable=not progress):
            writer.write(frame.image)
    return target


def _to_list(values: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), 6) for v in values]
