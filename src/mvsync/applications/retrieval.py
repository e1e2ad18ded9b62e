"""Fine-grained retrieval (TCC supp. section 4): the frames of other clips nearest to one frame of a query clip.

Every frame of every clip is embedded (:mod:`.embedding`: raw features or a trained model); the ``k`` frames closest
to the query frame among all frames of the other clips, best first, are the matches. A contact sheet shows the query
frame and its matches with clip name and time under each.

>>> found = retrieve("a.mp4", ["b.mp4", "c.mp4"], time_s=1.2, k=5, features="appearance")
>>> [(m.path.name, round(m.time_s, 2)) for m in found.matches]  # the best frame of each clip, nearest first
[('c.mp4', 1.08), ('b.mp4', 1.72)]
>>> render_contact_sheet(found, "sheet.png")
PosixPath('sheet.png')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..atomic import atomic_write
from ..errors import ConfigError, InputError, OutputExistsError
from ..io import probe, read_frames_at
from ..types import VideoInfo
from .embedding import ClipEmbedding, check_embedding_options, embed_clips, nearest_frames, same_file

SHEET_COLUMNS = 6  # cells per row of the contact sheet
LABEL_HEIGHT = 34  # two lines of text under each cell
QUERY_COLOR = (255, 200, 0)  # the query cell's border: amber, as the grid's event labels


@dataclass(frozen=True)
class Match:
    """One frame of one clip; for a match, its embedding distance to the query frame."""

    path: Path
    frame_idx: int
    time_s: float
    distance: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "frame_idx": self.frame_idx, "time_s": round(self.time_s, 6),
                "distance": round(self.distance, 6)}


@dataclass(frozen=True)
class Retrieval:
    """The query frame and its nearest frames among the other clips, best first."""

    query: Match
    matches: list[Match]

    def to_dict(self) -> dict[str, Any]:
        return {"query": {k: v for k, v in self.query.to_dict().items() if k != "distance"},
                "matches": [{"rank": rank, **m.to_dict()} for rank, m in enumerate(self.matches, 1)]}


def check_retrieval(query: str | Path, clips: list[str | Path], *, time_s: float | None = None,
                    frame_idx: int | None = None, k: int = 5, features: str | None = None,
                    model: str | Path | None = None) -> tuple[VideoInfo, list[VideoInfo]]:
    """Check every option and clip (probe only): the query moment lies within the query clip, ``k`` is positive,
    at least one other clip is given. Returns the probed query and the other clips (the query left out of them)."""
    check_embedding_options(features=features, model=model)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"k: must be a positive number of matches, got {k!r}")
    if (time_s is None) == (frame_idx is None):
        raise ConfigError("time_s, frame_idx: give exactly one (the query moment, in seconds or as a frame)")
    info = probe(query)
    last = info.num_frames - 1
    if frame_idx is not None and not 0 <= frame_idx <= last:
        raise ConfigError(f"{query}: frame {frame_idx} is beyond the clip (frames 0 to {last})")
    if time_s is not None and not (math.isfinite(time_s) and 0 <= time_s <= last / info.fps + 1e-9):
        raise ConfigError(f"{query}: {time_s:g} s is beyond the clip (0 to {last / info.fps:.3f} s, its last frame)")
    others: list[VideoInfo] = []
    for clip in clips:  # the query, and a clip given twice, are searched once at most
        if not any(same_file(clip, seen) for seen in [info.path, *[o.path for o in others]]):
            others.append(probe(clip))
    if not others:
        raise ConfigError(f"clips: no clip to search besides the query {query}")
    return info, others


def retrieve(
    query: str | Path,
    clips: list[str | Path],
    *,
    time_s: float | None = None,
    frame_idx: int | None = None,
    k: int = 5,
    features: str | None = None,
    model: str | Path | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = False,
    pooled: bool = False,
) -> Retrieval:
    """The frame of each of ``clips`` nearest to the query clip's frame at ``time_s`` (or ``frame_idx``), the ``k``
    best of those first; ``pooled``: the ``k`` nearest frames wherever they are (neighbouring frames of one clip may
    fill the list).

    ``features``/``model`` choose the embedding (see :func:`~mvsync.applications.embedding.embed_clips`); the query
    clip is embedded with the others (raw features are standardised over the whole set) and left out of the search.
    """
    info, others = check_retrieval(query, clips, time_s=time_s, frame_idx=frame_idx, k=k, features=features,
                                   model=model)
    embs = embed_clips([info.path, *[o.path for o in others]], features=features, model=model, cache_dir=cache_dir,
                       progress=progress)
    frame = frame_idx if frame_idx is not None else shown_frame(embs[0].times_s, time_s)
    if frame >= embs[0].num_frames:  # the container promised more frames than decode
        raise InputError(f"{info.path}: frame {frame} is beyond the {embs[0].num_frames} frames that decode")
    query = Match(info.path, frame, float(embs[0].times_s[frame]))
    return Retrieval(query, find_matches(embs[0], frame, embs[1:], k=k, per_clip=not pooled))


def find_matches(query: ClipEmbedding, frame_idx: int, others: list[ClipEmbedding], *, k: int = 5,
                 per_clip: bool = False) -> list[Match]:
    """The ``k`` frames of ``others`` (valid frames only) nearest to frame ``frame_idx`` of ``query``, best first;
    ``per_clip``: the nearest frame of each clip, the ``k`` best of those."""
    if not query.valid[frame_idx]:
        raise InputError(f"{query.path}: frame {frame_idx} ({query.times_s[frame_idx]:.3f} s) has no usable features "
                         "(e.g. no person found); choose another moment")
    if per_clip:
        best = [m for clip in others if clip.valid.any() for m in find_matches(query, frame_idx, [clip], k=1)]
        return sorted(best, key=lambda m: m.distance)[:k]
    pooled = np.concatenate([o.values for o in others])  # (sum L, D)
    owner = np.concatenate([np.full(o.num_frames, c) for c, o in enumerate(others)])  # (sum L,) clip of each row
    offset = np.concatenate([[0], np.cumsum([o.num_frames for o in others])])
    idx, dist = nearest_frames(query.values[frame_idx][None], pooled, allowed=np.concatenate([o.valid for o in others]),
                               k=k)
    matches = []
    for row, distance in zip(idx[0], dist[0]):
        clip = others[owner[row]]
        frame = int(row - offset[owner[row]])
        matches.append(Match(clip.path, frame, float(clip.times_s[frame]), float(distance)))
    return matches


def shown_frame(times_s: np.ndarray, time_s: float) -> int:
    """The frame on screen at ``time_s``: the last one that starts at or before it.

    >>> shown_frame(np.array([0.0, 0.04, 0.08]), 0.05)
    1
    """
    return int(max(np.searchsorted(times_s, time_s + 1e-9, side="right") - 1, 0))


def render_contact_sheet(retrieval: Retrieval, path: str | Path, *, cell_width: int = 200,
                         overwrite: bool = False) -> Path:
    """Write a PNG: the query frame (amber border), then its matches in rank order, up to :data:`SHEET_COLUMNS` per
    row, with clip name and time (and rank and distance) under each."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: already exists")
    items = [retrieval.query, *retrieval.matches]
    images = _frames_of(items)
    aspect = float(np.median([im.shape[0] / im.shape[1] for im in images]))
    cell = (cell_width, max(16, int(round(cell_width * aspect))))
    cols = min(len(items), SHEET_COLUMNS)
    rows = math.ceil(len(items) / cols)
    sheet = Image.new("RGB", (cols * cell[0], rows * (cell[1] + LABEL_HEIGHT)), (20, 20, 20))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=12)
    for n, (item, image) in enumerate(zip(items, images)):
        x, y = (n % cols) * cell[0], (n // cols) * (cell[1] + LABEL_HEIGHT)
        sheet.paste(_letterbox(image, cell), (x, y))
        if n == 0:
            draw.rectangle((x + 1, y + 1, x + cell[0] - 2, y + cell[1] - 2), outline=QUERY_COLOR, width=3)
        head = "query" if n == 0 else f"#{n}  distance {item.distance:.2f}"
        draw.text((x + 4, y + cell[1] + 3), head, fill=QUERY_COLOR if n == 0 else (170, 170, 170), font=font)
        when = f"  {item.time_s:.2f} s"
        name = _fit(item.path.name, cell[0] - 8 - font.getlength(when), font)
        draw.text((x + 4, y + cell[1] + 18), name + when, fill=(235, 235, 235), font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as handle:
        sheet.save(handle, format="PNG")
    return path


def _frames_of(items: list[Match]) -> list[np.ndarray]:
    """The RGB image of every item's frame, each clip decoded once up to the last frame it needs."""
    wanted: dict[Path, set[int]] = {}
    for item in items:
        wanted.setdefault(item.path, set()).add(item.frame_idx)
    found = {clip: read_frames_at(clip, frames) for clip, frames in wanted.items()}
    return [found[item.path][item.frame_idx] for item in items]


def _letterbox(image: np.ndarray, cell: tuple[int, int]) -> Image.Image:
    picture = Image.fromarray(image)
    scale = min(cell[0] / picture.width, cell[1] / picture.height)
    picture = picture.resize((max(1, int(picture.width * scale)), max(1, int(picture.height * scale))),
                             Image.Resampling.BILINEAR)
    out = Image.new("RGB", cell, (0, 0, 0))
    out.paste(picture, ((cell[0] - picture.width) // 2, (cell[1] - picture.height) // 2))
    return out


def _fit(text: str, width_px: float, font) -> str:
    """``text``, cut short with "..." where it is wider than ``width_px`` in ``font``."""
    if font.getlength(text) <= width_px:
        return text
    while text and font.getlength(text + "...") > width_px:
        text = text[:-1]
    return text + "..."
