"""Imports flow downstream only: io -> features -> align -> sync -> render/evaluate -> cli/demo (STYLE.md)."""

import ast
from pathlib import Path

import mvsync

PACKAGE = Path(mvsync.__file__).parent
STAGES = {"io": 1, "features": 2, "align": 3, "sync": 4, "render": 5, "evaluate": 5, "datasets": 5, "train": 5, "demo": 6, "cli": 6, "cli_names": 6}
ANYWHERE = {"types", "errors", "registry", "result", "atomic", "outdir", "names", "__init__", "__version__"}


def _stage(module: str) -> int | None:
    head = module.split(".")[0]
    return None if head in ANYWHERE else STAGES[head]


def _imports(path: Path, root: Path = PACKAGE) -> list[str]:
    own = path.relative_to(root).with_suffix("").parts
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(own[: len(own) - node.level])
                target = ".".join(base + ([node.module] if node.module else []))
                found.extend([target] if node.module else [f"{'.'.join(base)}.{a.name}".lstrip(".") for a in node.names])
            elif node.module and node.module.startswith("mvsync."):
                found.append(node.module[len("mvsync."):])
        elif isinstance(node, ast.Import):
            found.extend(a.name[len("mvsync."):] for a in node.names if a.name.startswith("mvsync."))
    return [f for f in found if f]


def _violations(root: Path) -> list[str]:
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).with_suffix("")
        if rel.parts == ("__init__",):
            continue  # the public API re-exports every stage
        own = _stage(".".join(rel.parts))
        for target in _imports(path, root):
            theirs = _stage(target)
            if theirs is not None and (own is None or theirs > own):
                offenders.append(f"{rel} -> {target}")
    return offenders


def test_no_module_imports_from_a_later_stage():
    assert _violations(PACKAGE) == []


def test_the_checker_catches_upstream_imports(tmp_path):
    (tmp_path / "io").mkdir()
    (tmp_path / "io" / "reader.py").write_text("from ..render import grid\nfrom ..types import Frame\n")
    (tmp_path / "result.py").write_text("from mvsync.sync import sync\n")
    assert sorted(_violations(tmp_path)) == ["io/reader -> render", "result -> sync"]
