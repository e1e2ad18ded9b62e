"""Stage 4: outputs people look at (grid video, ...). Each writer module registers itself in ``WRITERS``."""

from . import figures, grid, sync_json  # noqa: F401  (registration)
from .base import WRITERS, render_outputs
from .figures import render_alignment_plot
from .grid import grid_shape, render_grid
from .options import GridOptions, RenderOptions, check_grid_options, check_render_options

__all__ = ["WRITERS", "GridOptions", "RenderOptions", "check_grid_options", "check_render_options", "grid_shape", "render_alignment_plot", "render_grid",
           "render_outputs"]
