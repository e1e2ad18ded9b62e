"""Where a benchmark's results go: its markdown table printed and written to ``benchmarks/results/<stem>.md``, its
figures to ``<stem>.json``."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write_report(stem: str, lines: list[str], data) -> None:
    """Print ``lines`` and write them to ``RESULTS/<stem>.md``, ``data`` to ``RESULTS/<stem>.json``."""
    text = "\n".join(lines) + "\n"
    print(text)
    (RESULTS / f"{stem}.md").write_text(text)
    (RESULTS / f"{stem}.json").write_text(json.dumps(data, indent=1, default=float))
    print(f"written: {RESULTS / stem}.md and .json")
