"""Imports flow downstream only: io -> features -> align -> sync -> render/evaluate -> cli/demo (STYLE.md)."""

import ast
from pathlib import Path

import mvsync

PACKAGE = Path(mvsync.__file__).parent
STAGES = {"io": 1, "features": 2, "align": 3, "sync": 4, "render": 5, "evaluate": 5, "applications": 5, "datasets": 5, "train": 5, "demo": 6, "cli": 6, "cli_names": 6, "commands": 6,
          "__main__": 6}
ANYWHERE = {"types", "errors", "registry", "result", "events", "atomic", "outdir", "threads", "names", "__init__", "__version__"}
# Inside align/: the engine (DTAN/TPL on any time series) and the TCC family know nothing of the video aligners
# around them (base, dtw, tpl_aligner, standardizer, trained_model); the TCC family saves through the engine's files.
ALIGN_LAYERS = {"engine": {"engine"}, "tcc": {"tcc", "engine"}}


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


def _align_violations(root: Path) -> list[str]:
    offenders = []
    for layer, allowed in ALIGN_LAYERS.items():
        for path in (root / "align" / layer).rglob("*.py"):
            for target in _imports(path, root):
                parts = target.split(".")
                if parts[0] == "align" and (len(parts) < 2 or parts[1] not in allowed):
                    offenders.append(f"{path.relative_to(root).with_suffix('')} -> {target}")
    return offenders


def test_no_module_imports_from_a_later_stage():
    assert _violations(PACKAGE) == []


def test_the_checker_catches_upstream_imports(tmp_path):
    (tmp_path / "io").mkdir()
    (tmp_path / "io" / "reader.py").write_text("from ..render import grid\nfrom ..types import Frame\n")
    (tmp_path / "result.py").write_text("from mvsync.sync import sync\n")
    assert sorted(_violations(tmp_path)) == ["io/reader -> render", "result -> sync"]


def test_the_align_engine_and_tcc_do_not_import_the_video_aligners():
    assert _align_violations(PACKAGE) == []


def test_the_align_checker_catches_an_engine_importing_the_face(tmp_path):
    for layer in ("engine", "tcc"):
        (tmp_path / "align" / layer).mkdir(parents=True)
    (tmp_path / "align" / "engine" / "joint.py").write_text("from ..base import VideoAligner\nfrom .dtan import D\n")
    (tmp_path / "align" / "tcc" / "embedder.py").write_text("from ..engine.checkpoint import load_checkpoint\n"
                                                             "from .. import trained_model\n")
    assert sorted(_align_violations(tmp_path)) == ["align/engine/joint -> align.base",
                                                   "align/tcc/embedder -> align.trained_model"]


def _module_cycles(root: Path) -> list[list[str]]:
    """Import circles between modules (any import: top level, inside a function, or for type checking only)."""
    modules = {".".join(p.relative_to(root).with_suffix("").parts): p for p in root.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        targets = set()
        for target in _imports(path, root):
            # "align.tcc.bases" is a module; "features.FEATURES" names something in the package features/__init__
            while target and target not in modules and f"{target}.__init__" not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target if target in modules else f"{target}.__init__")
        graph[name] = targets
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                if not (node.endswith("__init__") or nxt.endswith("__init__")):  # re-exports close no circle
                    cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_no_two_modules_import_each_other():
    """Each file uses only what is below it: no circle of imports between modules (a package's __init__, which
    re-exports its modules, is left out)."""
    assert _module_cycles(PACKAGE) == []


def test_the_cycle_checker_finds_a_circle_through_a_type_checking_import(tmp_path):
    (tmp_path / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n")
    (tmp_path / "b.py").write_text("from .a import A\n")
    assert _module_cycles(tmp_path) == [["a", "b", "a"]]
