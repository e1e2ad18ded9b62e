"""Figures: how every clip's time maps onto the common timeline."""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_write
from ..errors import OutputExistsError
from ..result import SyncResult
from .base import WRITERS, writes
from .options import RenderOptions


def render_alignment_plot(result: SyncResult, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a PNG with one curve per clip: its source time at each moment of the timeline.

    A straight 45-degree line is a clip playing at the timeline's pace; flatter stretches are
    slower, steeper ones faster, and a late start shows as a gap on the left.

    >>> render_alignment_plot(SyncResult.load("out/sync.json"), "out/alignment.png")
    PosixPath('out/alignment.png')
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: already exists")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    timeline = result.timeline_s
    reference = result.extra.get("reference")
    for k, track in enumerate(result.videos):
        style = {"linewidth": 2.5, "color": "black"} if k == reference else {"linewidth": 1.5}
        label = Path(track.path).name + (" (reference)" if k == reference else "")
        ax.plot(timeline, track.source_time, label=label, **style)
    ax.set_xlabel("common timeline (s)")
    ax.set_ylabel("time in the clip (s)")
    ax.set_title(f"{result.method} on {result.features} features: {len(result.videos)} clips")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png")
    plt.close(fig)
    return path


@WRITERS.register("alignment")
@writes("alignment.png")
def write_alignment_plot(result: SyncResult, out_dir: Path, *, options: RenderOptions, overwrite: bool = False,
                         progress: bool = False) -> list[Path]:
    """The ``alignment`` writer: ``out_dir/alignment.png`` (see :func:`render_alignment_plot`)."""
    return [render_alignment_plot(result, Path(out_dir) / "alignment.png", overwrite=overwrite)]


def save_figure(fig, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a matplotlib figure atomically, as PNG or SVG from ``path``'s suffix, and close it. Fixed metadata
    (no creation date, a fixed SVG hash salt), so a figure drawn from the same data is the same file."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: already exists")
    fmt = path.suffix.lstrip(".").lower()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    plt = _pyplot()
    plt.rcParams["svg.hashsalt"] = "mvsync"
    try:
        with atomic_write(path, "wb") as handle:
            fig.savefig(handle, format=fmt, metadata=metadata)
    finally:
        plt.close(fig)
    return path


def _pyplot():
    """matplotlib on first use (half a second): importing the render stage, as option checks do, stays fast."""
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    return plt
