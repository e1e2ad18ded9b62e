"""Which videos a web browser plays as they are: the player copies those and transcodes the rest (issue 10, §2).

Browsers decode few formats: H.264 (8-bit 4:2:0) in mp4/mov, and VP8/VP9/AV1 in webm. Everything else (avi, MPEG-4
Part 2, ProRes, mkv, image folders...) must be re-encoded before a ``<video>`` element can show it.
"""

from __future__ import annotations

from pathlib import Path

from .images import is_image_folder
from .probe import open_container

# (file suffixes, codecs, pixel formats) that Chromium, Firefox and Safari all play
_PLAYABLE = (
    ({".mp4", ".m4v", ".mov"}, {"h264"}, {"yuv420p", "yuvj420p"}),
    ({".webm"}, {"vp8", "vp9", "av1"}, {"yuv420p"}),
)


def is_browser_playable(path: str | Path) -> bool:
    """True when a browser's ``<video>`` plays ``path`` as it is (no transcoding needed).

    >>> is_browser_playable("a.mp4")
    True
    """
    path = Path(path)
    if is_image_folder(path):
        return False
    suffix = path.suffix.lower()
    if not any(suffix in suffixes for suffixes, _, _ in _PLAYABLE):
        return False  # decided by the name alone: no need to open the file
    with open_container(path) as container:
        if not container.streams.video:
            return False
        ctx = container.streams.video[0].codec_context
        codec, pix_fmt = ctx.name, ctx.pix_fmt
    return any(suffix in suffixes and codec in codecs and pix_fmt in formats for suffixes, codecs, formats in _PLAYABLE)

