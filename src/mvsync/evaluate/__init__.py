"""Stage 4: measuring alignment (known retimings, the field's standard metrics)."""

from .frame_tone import FrameTone
from .metrics import TauResult, cycle_consistency, kendalls_tau, retrieval_ap
from .metrics_events import EventSyncError, key_event_sync_error, timeline_position
from .metrics_phase import ProgressionResult, phase_classification, phase_progression
from .retiming import DEMO_RETIMINGS, Retiming, content_error, write_retimed

__all__ = [
    "DEMO_RETIMINGS", "EventSyncError", "FrameTone", "ProgressionResult", "Retiming", "TauResult", "content_error",
    "cycle_consistency", "kendalls_tau", "key_event_sync_error", "phase_classification", "phase_progression",
    "retrieval_ap", "timeline_position", "write_retimed",
]
