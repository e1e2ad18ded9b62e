"""Stage 4: measuring alignment (known retimings, metrics, datasets)."""

from .retiming import DEMO_RETIMINGS, Retiming, content_error, write_retimed

__all__ = ["DEMO_RETIMINGS", "Retiming", "content_error", "write_retimed"]
