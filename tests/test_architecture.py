"""The package's shape, checked: imports run one way through the layers (no module imports from
a layer above its own, inside a function or not), and modules and functions stay small enough to
read (500 and 60 lines, unless a comment right above says why)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "reviewer"

# Bottom to top. A module may import from its own layer and the layers below.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("model", ("findings", "decision", "data", "datafile", "terminal", "deadline", "version")),
    ("note", ("note", "inputs")),
    ("language", ("language",)),
    ("extract", ("extract", "privacy", "audit")),
    ("guardrails", ("guardrails",)),
    ("rules", ("rules",)),
    ("review", ("pipeline", "explain")),
    ("outputs", ("report", "batch", "web", "evaluate", "schemas")),
    ("cli", ("cli", "__main__")),
]
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int | None:
    """The layer of `reviewer.x.y` (by its first component); None for the package itself."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    for index, (_, names) in enumerate(LAYERS):
        if parts[1] in names:
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS in {Path(__file__).name}")


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("reviewer.")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.startswith("reviewer."):
                found.add(node.module)
            elif node.module == "reviewer":  # from reviewer import pipeline / __version__
                found |= {f"reviewer.{a.name}" for a in node.names}
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def upward_edges() -> list[str]:
    edges = []
    for path in MODULES:
        source = module_name(path)
        here = layer_of(source)
        if here is None:
            continue  # reviewer/__init__.py: the public façade, importing lazily from the top
        for target in sorted(imports(path)):
            there = layer_of(target)
            if there is not None and there > here:
                edges.append(f"{source} ({LAYERS[here][0]}) -> {target} ({LAYERS[there][0]})")
    return edges


def test_imports_never_go_up_a_layer() -> None:
    assert upward_edges() == []


def test_every_module_is_in_a_layer() -> None:
    for path in MODULES:
        layer_of(module_name(path))


def test_the_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from reviewer.pipeline import review\n    from reviewer import web\n")
    assert imports(probe) == {"reviewer.pipeline", "reviewer.web"}


def _explained(lines: list[str], at: int, limit: int) -> bool:
    """A comment saying why, on one of the lines right above `at` (0-based; decorators skipped)."""
    i = at - 1
    while i >= 0 and lines[i].lstrip().startswith("@"):
        i -= 1
    return i >= 0 and lines[i].lstrip().startswith(f"# Over {limit} lines")


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_modules_and_functions_stay_small(path: Path) -> None:
    text = path.read_text("utf-8")
    lines = text.splitlines()
    head = "\n".join(lines[:15])
    if len(lines) > MAX_MODULE_LINES:
        assert f"# Over {MAX_MODULE_LINES} lines" in head, f"{len(lines)} lines, no comment saying why"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            first = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
            assert length <= MAX_FUNCTION_LINES or _explained(lines, first, MAX_FUNCTION_LINES), (
                f"{node.name} (line {node.lineno}) is {length} lines, no comment saying why"
            )
