"""The house rules of docs/architecture.md, checked on every import in the source, function-local ones included:
the apps depend one way only (staff <- certificates <- reservations <- notices), and no module imports itself
back through others."""

from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["staff", "certificates", "reservations", "notices"]  # each may import only those before it
RANK = {app: index for index, app in enumerate(APPS)}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for app in APPS for path in sorted((ROOT / app).rglob("*.py"))}


def _imports(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module of ours that `source` (the text of `module`) imports, anywhere in the file."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # `from reservations import rules` imports the module reservations.rules.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in RANK}


def _graph() -> dict[str, set[str]]:
    # Parsed in a fresh thread: CPython 3.11.7's ast.parse can fail with "AST constructor recursion depth
    # mismatch" when called from a deep stack (pytest plus Django), which says nothing about our code.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_graph_here).result()


def _graph_here() -> dict[str, set[str]]:
    modules = _modules()
    return {
        module: {
            name
            for name in _imports(path.read_text(), module, is_package=path.name == "__init__.py")
            if name in modules and name != module
        }
        for module, path in modules.items()
    }


def test_no_app_imports_an_app_above_it() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if RANK[target.split(".")[0]] > RANK[module.split(".")[0]]
    ]
    assert wrong == []


def test_no_module_imports_itself_back_through_others() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            # A package's __init__ is imported by its modules implicitly; ours are empty, so they are no cycle.
            if target in APPS:
                continue
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert cycles == []


def test_the_checker_sees_function_local_and_relative_imports() -> None:
    source = "def f():\n    from notices import services\n    from .models import Slot\n    import staff.roles\n"
    assert _imports(source, "reservations.views") == {
        "notices",
        "notices.services",
        "reservations.models",
        "reservations.models.Slot",
        "staff.roles",
    }
