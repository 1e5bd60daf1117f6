"""The layer rules of DESIGN §7, read from the source: each top-level package imports only from the layers
below it (function-level imports included), and the top-level packages form no import cycle."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "models", "imports", "actions", "queries", "services", "views", "seed")
#: What each package may import of the project (besides itself). ``app``/``config`` are wiring: nobody imports app.
ALLOWED = {
    "core": set(),
    "models": {"core"},
    "imports": {"core", "models"},
    "actions": {"core", "models", "imports"},
    "queries": {"core", "models", "actions"},
    "services": {"core", "models", "actions", "queries", "imports"},
    "views": {"core", "models", "actions", "queries", "imports", "services"},
    "seed": {"core", "models", "actions"},
}


def project_imports(path: Path) -> set[str]:
    """Top-level project packages imported anywhere in ``path`` (module level and inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top in PACKAGES or top in ("app", "config"):
                found.add(top)
    return found


def package_graph() -> dict[str, dict[str, list[str]]]:
    graph: dict[str, dict[str, list[str]]] = {p: {} for p in PACKAGES}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []:
            for target in project_imports(path):
                if target != package:
                    graph[package].setdefault(target, []).append(str(path.relative_to(ROOT)))
    return graph


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_lower_layers(package):
    graph = package_graph()
    wrong = {target: files for target, files in graph[package].items() if target not in ALLOWED[package]}
    assert not wrong, f"{package}/ imports higher layers: {wrong}"


def test_no_cycle_between_packages():
    graph = {p: set(t for t in targets if t in PACKAGES) for p, targets in package_graph().items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " → ".join(trail + [node, nxt]))
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = 2

    for package in PACKAGES:
        if package not in state:
            visit(package, [])


def test_rules_detect_a_violation(tmp_path):
    """The reader of imports sees function-level imports too (so the rules above cannot pass vacuously)."""
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\ndef f():\n    from views.glue import attempt\n    import actions.audit\n")
    assert project_imports(sample) == {"views", "actions"}
