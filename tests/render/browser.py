"""A real browser for tests: Debian's chromium driven by Playwright (see scripts/install_browser.sh).

Tests that need it take the ``chromium`` fixture of ``tests/render/conftest.py``; they skip, with the reason, when
chromium or Playwright is missing (every other test still runs).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# headless, no sandbox (containers run as root), and nothing that reaches the network
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ALL_VIDEOS = "Array.from(document.querySelectorAll('video'))"


def chromium_path() -> str | None:
    for path in CHROMIUM_PATHS:
        if Path(path).is_file():
            return path
    return shutil.which("chromium")


def missing_browser() -> str | None:
    """Why no browser test can run here, or None when chromium and Playwright are both installed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -c constraints.txt -e '.[test]')"
    if chromium_path() is None:
        return "chromium is not installed (scripts/install_browser.sh installs Debian's)"
    return None


def wait_until_loaded(page, timeout_ms: int = 20000) -> None:
    """Every video of the player has its first frame, and the test hook exists."""
    page.wait_for_function(f"window.mvsyncPlayer && {ALL_VIDEOS}.every(v => v.readyState >= 2)", timeout=timeout_ms)


def wait_until_still(page, timeout_ms: int = 10000) -> None:
    """No video is seeking any more (after a seek while paused)."""
    page.wait_for_function(f"{ALL_VIDEOS}.every(v => !v.seeking)", timeout=timeout_ms)


def player_data(folder: Path) -> dict:
    """The ``window.MVSYNC_DATA`` a player folder's ``sync-data.js`` defines."""
    text = (Path(folder) / "sync-data.js").read_text()
    prefix = "window.MVSYNC_DATA = "
    assert text.startswith(prefix), text[:80]
    return json.loads(text[len(prefix):].strip().rstrip(";"))


def mapped_media_times(data: dict, time_s: float) -> list[float]:
    """Where each clip's video should be at timeline time ``time_s``: its ``media_time`` interpolated between
    timeline frames; NaN where the clip has no content (before it starts, after it ends)."""
    out = []
    for clip in data["clips"]:
        values = np.array([np.nan if v is None else v for v in clip["media_time"]], dtype=float)
        step = time_s * data["fps"]
        low, high = int(np.floor(step)), min(int(np.ceil(step)), len(values) - 1)
        inside = np.isfinite(values[low]) and np.isfinite(values[high])
        finite = np.flatnonzero(np.isfinite(values))
        out.append(float(np.interp(step, finite, values[finite])) if inside else float("nan"))
    return out


def frame_errors(data: dict, state: dict) -> list[float]:
    """Per clip, how far its video is from where the map puts it, in frames of that clip (NaN: no content)."""
    expected = mapped_media_times(data, state["time"])
    return [abs(c["currentTime"] - e) * clip["fps"] for c, e, clip in zip(state["clips"], expected, data["clips"])]
