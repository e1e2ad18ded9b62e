"""Stage 1: decode and encode (videos, and folders of images read like videos). PyAV lives only in this package."""

from .audio import read_audio, write_wav
from .images import IMAGE_EXTENSIONS, IMAGE_FPS, image_paths, is_image_folder, probe_images, read_image, read_image_frames
from .playable import is_browser_playable
from .probe import probe
from .reader import count_frames, frame_times, read_all_frames, read_frames, read_frames_at
from .remux import write_with_audio
from .writer import VideoWriter

__all__ = [
    "probe", "is_browser_playable", "count_frames", "frame_times", "read_frames", "read_frames_at", "read_all_frames", "read_audio",
    "write_wav", "write_with_audio", "VideoWriter",
    "IMAGE_EXTENSIONS", "IMAGE_FPS", "image_paths", "is_image_folder", "probe_images", "read_image", "read_image_frames",
]
