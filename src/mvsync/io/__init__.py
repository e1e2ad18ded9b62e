"""Stage 1: decode and encode. PyAV lives only in this package."""

from .audio import read_audio
from .probe import probe
from .reader import read_all_frames, read_frames
from .writer import VideoWriter

__all__ = ["probe", "read_frames", "read_all_frames", "read_audio", "VideoWriter"]
