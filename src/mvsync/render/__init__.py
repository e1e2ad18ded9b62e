"""Stage 4: outputs people look at (grid video, ...). Each writer module registers itself in ``WRITERS``."""

from . import clips, figures, ghost, grid, pair, player, sync_json  # noqa: F401  (registration)
from .base import WRITERS, render_outputs
from .figures import render_alignment_plot
from .grid import grid_pages, grid_shape, render_grid
from .options import (ExportOptions, GridOptions, PlayerOptions, RenderOptions, SlowMo, check_export_options,
                      check_grid_options, check_render_options)
from .player import render_player
from .slowmo import playback_steps

__all__ = ["WRITERS", "ExportOptions", "GridOptions", "PlayerOptions", "RenderOptions", "SlowMo", "check_export_options",
           "check_grid_options", "check_render_options", "grid_pages", "grid_shape", "playback_steps", "render_alignment_plot",
           "render_grid", "render_outputs", "render_player"]
