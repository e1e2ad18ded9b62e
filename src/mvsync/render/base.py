"""The ``WRITERS`` registry: each output a sync result can be rendered to."""

from __future__ import annotations

from typing import Callable

from ..registry import Registry

WRITERS: Registry[Callable] = Registry("writer")
