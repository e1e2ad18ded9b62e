"""mvsync: synchronize many videos of the same action onto one common timeline.

>>> import mvsync
>>> result = mvsync.sync(["a.mp4", "b.mp4"], features="appearance")  # doctest: +SKIP
>>> result.save("out/sync.json")  # doctest: +SKIP
"""

__version__ = "0.1.0"

from .align import ALIGNERS, CPAB, DTAN, TPL, create_aligner
from .errors import ConfigError, InputError, MvsyncError, NotFittedError, OutputError
from .features import FEATURES, extract_features, load_features, save_features
from .io import VideoWriter, probe, read_audio, read_frames
from .render import render_grid
from .result import SyncResult, VideoTrack
from .sync import SyncConfig, sync
from .types import Features, Frame, VideoInfo

__all__ = [
    "ALIGNERS", "CPAB", "DTAN", "TPL", "FEATURES", "ConfigError", "Features", "Frame", "InputError", "MvsyncError", "NotFittedError",
    "OutputError", "SyncConfig", "SyncResult", "VideoInfo", "VideoTrack", "VideoWriter", "create_aligner",
    "extract_features", "load_features", "probe", "read_audio", "read_frames", "render_grid", "save_features",
    "sync",
]
