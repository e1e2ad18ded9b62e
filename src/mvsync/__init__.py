"""mvsync: synchronize many videos of the same action onto one common timeline.

>>> import mvsync
>>> result = mvsync.sync(["a.mp4", "b.mp4"], features="appearance")
>>> result.save("mine/sync.json")
PosixPath('mine/sync.json')
"""

__version__ = "0.1.0"

import importlib
import sys
import types
from typing import TYPE_CHECKING

# Public names and the module each comes from. They load on first use (PEP 562), so that ``import mvsync`` and
# the command line's ``--help`` do not pay for torch, mediapipe and PyAV until something needs them.
_EXPORTS = {
    ".align": ("ALIGNERS", "CPAB", "DTAN", "TPL", "create_aligner"),
    ".events": ("Event",),
    ".errors": ("ConfigError", "InputError", "MvsyncError", "NotFittedError", "OutputError"),
    ".features": ("FEATURES", "extract_features", "load_features", "save_features"),
    ".io": ("VideoWriter", "probe", "read_audio", "read_frames"),
    ".render": ("WRITERS", "render_grid", "render_outputs"),
    ".result": ("SyncResult", "VideoTrack"),
    ".sync": ("SyncConfig", "check_sync", "sync"),
    ".types": ("Features", "Frame", "VideoInfo"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

if TYPE_CHECKING:  # static analysers and IDEs see the eager imports
    from .align import ALIGNERS, CPAB, DTAN, TPL, create_aligner
    from .events import Event
    from .errors import ConfigError, InputError, MvsyncError, NotFittedError, OutputError
    from .features import FEATURES, extract_features, load_features, save_features
    from .io import VideoWriter, probe, read_audio, read_frames
    from .render import WRITERS, render_grid, render_outputs
    from .result import SyncResult, VideoTrack
    from .sync import SyncConfig, check_sync, sync
    from .types import Features, Frame, VideoInfo


class _Package(types.ModuleType):
    """Keeps ``mvsync.sync`` the function. Importing the submodule ``mvsync/sync.py`` (from anywhere) makes Python set
    the package attribute ``sync`` to that module; an eager ``from .sync import sync`` here would have rebound it to
    the function afterwards, so the lazy package does the same when the module is set."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.{name}" and name in _MODULE_OF:
            value = getattr(value, name)  # the submodule has finished executing: its function of the same name
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'mvsync' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE_OF[name], __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULE_OF])


__all__ = [
    "ALIGNERS", "CPAB", "DTAN", "TPL", "FEATURES", "ConfigError", "Event", "Features", "Frame", "InputError", "MvsyncError", "NotFittedError",
    "OutputError", "SyncConfig", "SyncResult", "VideoInfo", "VideoTrack", "VideoWriter", "check_sync", "create_aligner",
    "extract_features", "load_features", "probe", "read_audio", "read_frames", "render_grid", "render_outputs",
    "save_features", "sync", "WRITERS",
]
