"""Sound transfer (TCC supp. section 2): give silent clips the sound of another clip of the same action.

A target clip is cut into blocks, and each block gets the source's sound from the moment that matches it, as long as
the block lasts. The match comes from a sync map (the TPL way; a block is one frame): ``sync.json`` when given,
otherwise the source and the targets are synced first (``mvsync.sync``'s defaults), the accurate default. Or, with
``nearest=True`` (or an embedding option: features, a model, a context), from nearest neighbours in embedding space,
as TCC does it (supp. section 2: a block is ``context`` consecutive frames, matched by their average embedding to
the source's window of ``context`` frames with the nearest average), faster but blind to the order of moments:
on real retimed copies (``benchmarks/bench_precision.py``) its p95 reached 32 source frames where the sync map's
stayed within 4. Blocks are joined with short linear cross-fades, so that a
jump between source moments does not click. Each target is written as ``<name>.mp4`` (its video bitstream copied, the
new sound as its only audio track) and ``<name>.wav``.

A source with sound (``a.mp4`` with 4 s of A 440), its sound given to two silent clips by nearest neighbours in
appearance:

>>> tone = 0.2 * np.sin(2 * np.pi * 440 * np.arange(4 * 48000) / 48000).astype(np.float32)[:, None]
>>> write_with_audio("a.mp4", "a_tone.mp4", (tone, 48000))
True
>>> transfers = transfer_audio("a_tone.mp4", ["b.mp4", "c.mp4"], "out", features="appearance")
>>> transfers[0].video, transfers[0].copied, transfers[0].wav
(PosixPath('out/b.mp4'), True, PosixPath('out/b.wav'))

Without ``features`` or ``sync``, the source and the targets are synced first, with ``mvsync.sync``'s default
features (pose when the clips show one person)::

    transfers = transfer_audio("drum.mp4", ["silent1.mp4", "silent2.mp4"], "out")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..errors import ConfigError, InputError, OutputExistsError
from ..io import frame_times, probe, read_audio, write_wav, write_with_audio
from ..result import SyncResult
from ..types import VideoInfo
from .embedding import ClipEmbedding, check_embedding_options, embed_clips, nearest_frames, same_file

FADE_S = 0.005  # cross-fade between blocks: long enough not to click, short against a frame (40 ms at 25 fps)
DEFAULT_CONTEXT = 5  # frames per block of sound (nearest-neighbour matching), their embeddings averaged


@dataclass(frozen=True)
class TransferPlan:
    """What :func:`check_transfer` accepted."""

    source: VideoInfo  # the clip whose sound is transferred (it has an audio track)
    targets: list[VideoInfo]  # the clips that get it
    sync: SyncResult | None  # the sync map giving the correspondence (None: synced first, or nearest neighbours)
    sync_clips: list[int] | None  # with a sync map: the index there of the source, then of every target
    nearest: bool = False  # nearest neighbours in embedding space instead of a sync map


@dataclass(frozen=True)
class Blocks:
    """A target's sound as blocks: block ``k`` plays from ``start_s[k]`` until the next block starts (the last until
    ``end_s``) the source's sound from ``source_s[k]`` on."""

    start_s: np.ndarray  # (B,) seconds in the target
    source_s: np.ndarray  # (B,) seconds in the source; NaN: silence (the source has no matching content)
    end_s: float  # when the target's last frame stops showing


@dataclass(frozen=True)
class Transfer:
    """One target with its new sound."""

    target: Path
    video: Path  # <out_dir>/<target name>.mp4
    wav: Path  # <out_dir>/<target name>.wav
    copied: bool  # the video bitstream was copied (False: re-encoded, its codec does not fit in mp4)
    blocks: Blocks  # which source moment plays where


def check_transfer(source: str | Path, targets: list[str | Path], *, sync: str | Path | None = None,
                   features: str | None = None, model: str | Path | None = None, context: int | None = None,
                   nearest: bool = False) -> TransferPlan:
    """Check every option and clip (probe only, no decoding): the source has sound, the targets are videos with
    distinct file names, a sync map holds all of them. Raises :class:`ConfigError` or :class:`InputError`."""
    if sync is not None and (model is not None or features is not None or context is not None or nearest):
        raise ConfigError(f"sync: {sync} gives the correspondence; nearest neighbours, features, a model and a "
                          "context are for matching by embedding, give one or the other")
    nearest = nearest or model is not None or features is not None or context is not None
    check_embedding_options(features=features, model=model)
    if context is not None and (isinstance(context, bool) or not isinstance(context, (int, np.integer)) or context < 1):
        raise ConfigError(f"context: must be a positive number of frames, got {context!r}")
    if not targets:
        raise ConfigError("targets: no target clip given")
    names = [Path(t).stem for t in targets]
    clash = next((n for n in names if names.count(n) > 1), None)
    if clash is not None:
        same = [str(t) for t in targets if Path(t).stem == clash]
        raise ConfigError(f"{' and '.join(same)}: same file name, one {clash}.mp4 each; rename or run them separately")
    source_info = probe(source)
    if not source_info.has_audio:
        raise InputError(f"{source}: no audio track; the source of a sound transfer needs sound")
    target_infos = [probe(t) for t in targets]
    if sync is None:
        return TransferPlan(source_info, target_infos, None, None, nearest=nearest)
    result = SyncResult.load(Path(sync) / "sync.json" if Path(sync).is_dir() else sync)
    return TransferPlan(source_info, target_infos, result, [clip_index(result, c, sync) for c in [source, *targets]])


def transfer_audio(
    source: str | Path,
    targets: list[str | Path],
    out_dir: str | Path,
    *,
    sync: str | Path | None = None,
    features: str | None = None,
    model: str | Path | None = None,
    context: int | None = None,
    nearest: bool = False,
    fade_s: float = FADE_S,
    cache_dir: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> list[Transfer]:
    """Give every target the sound of ``source``; writes ``out_dir/<name>.mp4`` and ``<name>.wav`` per target.

    Parameters
    ----------
    sync
        A ``sync.json`` (or its folder) holding the source and the targets: the correspondence comes from it.
        Without it (and without ``nearest``), the source and the targets are synced first.
    nearest
        Match each block of ``context`` target frames to the source window nearest by embedding instead of syncing
        (implied by ``features``, ``model`` or ``context``).
    features, model
        The embedding for nearest neighbours (see :func:`~mvsync.applications.embedding.embed_clips`).
    context
        Nearest neighbours: frames per block (the seed's multi-frame sound blocks; default
        :data:`DEFAULT_CONTEXT`).
    fade_s
        Length of the cross-fade between consecutive blocks, in seconds.
    """
    plan = check_transfer(source, targets, sync=sync, features=features, model=model, context=context,
                          nearest=nearest)
    samples, rate = read_audio(plan.source.path)
    if len(samples) == 0:
        raise InputError(f"{plan.source.path}: the audio track holds no sound")
    out_dir = Path(out_dir)
    existing = [out_dir / f"{t.path.stem}{ext}" for t in plan.targets for ext in (".mp4", ".wav")]
    existing = [path for path in existing if path.exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{existing[0]}: already exists")
    blocks = _blocks(plan, features, model, context, cache_dir, progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    transfers = []
    for info, target_blocks in tqdm(list(zip(plan.targets, blocks)), desc="transfer audio", disable=not progress,
                                    unit="clip"):
        sound = assemble_blocks(samples, rate, target_blocks, fade_s=fade_s)
        video, wav = out_dir / f"{info.path.stem}.mp4", out_dir / f"{info.path.stem}.wav"
        write_wav(wav, sound, rate, overwrite=overwrite)
        copied = write_with_audio(info.path, video, (sound, rate), overwrite=overwrite)
        transfers.append(Transfer(info.path, video, wav, copied, target_blocks))
    return transfers


def match_by_embedding(source: ClipEmbedding, target: ClipEmbedding, *, context: int = 1) -> Blocks:
    """Blocks of ``context`` target frames, each matched by its average embedding to the source window of
    ``context`` consecutive frames with the nearest average (averages over valid frames only; whole windows where
    the source is long enough); a block without valid frames takes the source moment interpolated from its
    neighbours."""
    source_means, source_ok = window_means(source.values, source.valid, context)
    if not source_ok.any():
        raise InputError(f"{source.path}: no frame with usable features to match against")
    full = source_ok & (np.arange(source.num_frames) <= source.num_frames - context)  # whole windows only
    target_means, target_ok = window_means(target.values, target.valid, context)
    starts = np.arange(0, target.num_frames, context)  # (B,) first frame of each block
    idx, _ = nearest_frames(target_means[starts], source_means, allowed=full if full.any() else source_ok)
    source_s = source.times_s[idx[:, 0]]
    ok = target_ok[starts]
    if ok.any() and not ok.all():
        source_s[~ok] = np.interp(starts[~ok], starts[ok], source_s[ok])
    return Blocks(target.times_s[starts], source_s, _end_s(target.times_s, target.fps))


def match_by_sync(result: SyncResult, source: int, target: int, target_times_s: np.ndarray) -> Blocks:
    """One block per target frame (at ``target_times_s``): the source moment the sync map pairs with it, NaN where
    the source has no content (the target starts earlier or ends later)."""
    times = np.asarray(target_times_s, float)
    source_s = np.asarray(result.map_time(times, target, source), float)
    return Blocks(times, source_s, _end_s(times, result.videos[target].fps))


def window_means(values: np.ndarray, valid: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """For every frame ``i``, the mean of ``values (L, D)`` over the valid frames among ``i .. i + size - 1`` (fewer
    at the end) and whether it has any: ``(means (L, D), any_valid (L,))``.

    >>> window_means(np.array([[0.0], [3.0], [6.0]]), np.array([True, False, True]), 2)[0].ravel().tolist()
    [0.0, 6.0, 6.0]
    """
    weights = valid.astype(float)[:, None]  # (L, 1)
    sums = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(values * weights, axis=0)])  # (L + 1, D)
    counts = np.concatenate([[0.0], np.cumsum(weights[:, 0])])  # (L + 1,)
    lo = np.arange(len(values))
    hi = np.minimum(lo + size, len(values))
    n = counts[hi] - counts[lo]
    return (sums[hi] - sums[lo]) / np.maximum(n, 1)[:, None], n > 0


def assemble_blocks(samples: np.ndarray, rate: int, blocks: Blocks, *, fade_s: float = FADE_S) -> np.ndarray:
    """The target's sound ``(M, channels)``: each block's stretch of the source's ``samples (N, channels)`` (silence
    where its source moment is NaN), overlapping its neighbours by ``fade_s`` with linear ramps that sum to one.

    >>> tone = np.arange(8.0)[:, None]  # a block that continues where the last ended is heard unchanged
    >>> blocks = Blocks(np.array([0.0, 4.0]), np.array([0.0, 4.0]), 8.0)
    >>> assemble_blocks(tone, 1, blocks, fade_s=2.0).ravel().tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    """
    bounds = np.round(np.append(blocks.start_s, blocks.end_s) * rate).astype(int)  # (B + 1,) output samples
    half = max(1, int(round(fade_s * rate / 2)))  # each block reaches this far into its neighbours
    total = int(bounds[-1])
    out = np.zeros((total + 2 * half, samples.shape[1]))  # out[j] is output sample j - half
    weight = np.zeros(total + 2 * half)
    for k, source_s in enumerate(blocks.source_s):
        n = int(bounds[k + 1] - bounds[k]) + 2 * half
        if n <= 2 * half:
            continue
        start = int(bounds[k])
        ramp = _trapezoid(n, 2 * half)
        weight[start : start + n] += ramp
        if np.isfinite(source_s):
            out[start : start + n] += ramp[:, None] * _segment(samples, int(round(source_s * rate)) - half, n)
    out, weight = out[half : half + total], weight[half : half + total]
    return (out / np.where(weight > 0, weight, 1.0)[:, None]).astype(np.float32)


def clip_index(result: SyncResult, clip: str | Path, sync: str | Path) -> int:
    """The index of ``clip`` among the videos of ``result`` (read from ``sync``), matched by file identity."""
    for k, track in enumerate(result.videos):
        if same_file(Path(track.path), Path(clip)):
            return k
    names = ", ".join(Path(t.path).name for t in result.videos)
    raise InputError(f"{clip}: not one of the clips of {sync} ({names}); sync it with the others first")


def _blocks(plan: TransferPlan, features, model, context: int | None, cache_dir, progress: bool) -> list[Blocks]:
    """Each target's blocks, from the sync map or by nearest neighbours."""
    if plan.sync is not None or not plan.nearest:
        result, clips = plan.sync, plan.sync_clips
        if result is None:  # the accurate default: sync the source and the targets, then follow the map
            from ..sync import sync as sync_clips

            result = sync_clips([plan.source.path, *[t.path for t in plan.targets]], cache_dir=cache_dir,
                                progress=progress)
            clips = list(range(len(plan.targets) + 1))
        source, *targets = clips
        return [match_by_sync(result, source, target, frame_times(info.path))
                for info, target in zip(plan.targets, targets)]
    embs = embed_clips([plan.source.path, *[t.path for t in plan.targets]], features=features, model=model,
                       cache_dir=cache_dir, progress=progress)
    context = DEFAULT_CONTEXT if context is None else context
    return [match_by_embedding(embs[0], target, context=context) for target in embs[1:]]


def _end_s(times_s: np.ndarray, fps: float) -> float:
    """When the last frame stops showing: one typical frame duration after it."""
    step = float(np.median(np.diff(times_s))) if len(times_s) > 1 else 1.0 / fps
    return float(times_s[-1]) + step


def _trapezoid(n: int, ramp: int) -> np.ndarray:
    """``(n,)`` weights rising linearly over ``ramp`` samples, flat at 1, falling over the last ``ramp``."""
    up = (np.arange(n) + 0.5) / ramp
    return np.minimum(1.0, np.minimum(up, up[::-1]))


def _segment(samples: np.ndarray, start: int, n: int) -> np.ndarray:
    """``samples[start : start + n]``, silence where that reaches outside the track."""
    block = np.zeros((n, samples.shape[1]))
    lo, hi = max(start, 0), min(start + n, len(samples))
    if hi > lo:
        block[lo - start : hi - start] = samples[lo:hi]
    return block

