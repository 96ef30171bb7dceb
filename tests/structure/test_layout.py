"""The package's layout rules: data walks one way and no module imports itself in a circle."""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import config

PACKAGE = config.REPO / "bench"
FORBIDDEN_ON_READ_SIDE = ("psycopg", "psycopg_pool", "bench.measure", "bench.db", "bench.seeding", "bench.experiments")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(config.REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_level_imports(path: Path) -> set[str]:
    """bench.* modules imported at module level (not inside functions, not under TYPE_CHECKING)."""
    out = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("bench")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bench"):
            for a in node.names:  # `from bench.x import y`: y may be a submodule
                sub = f"{node.module}.{a.name}"
                out.add(sub if (PACKAGE.parent / sub.replace(".", "/")).with_suffix(".py").exists()
                        or (PACKAGE.parent / sub.replace(".", "/")).is_dir() else node.module)
    return out


def graph() -> dict[str, set[str]]:
    return {module_name(p): module_level_imports(p) for p in PACKAGE.rglob("*.py")}


def cycle(g: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(g.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(g):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_no_import_cycles_anywhere_in_the_package():
    assert cycle(graph()) is None, " -> ".join(cycle(graph()))


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def notebook_imports() -> set[str]:
    mods = set()
    for nb in config.NOTEBOOKS.glob("*.py"):
        for node in ast.walk(ast.parse(nb.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bench"):
                mods |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
            elif isinstance(node, ast.Import):
                mods |= {a.name for a in node.names if a.name.startswith("bench")}
    return mods


READ_SIDE = sorted({module_name(p) for d in ("results", "report") for p in (PACKAGE / d).rglob("*.py")})


@pytest.mark.parametrize("module", READ_SIDE + ["notebooks"])
def test_the_read_side_loads_no_driver_and_no_measuring_code(module):
    """Each read-side module, and all that the notebooks import, in a fresh interpreter."""
    targets = sorted(m for m in notebook_imports() if _importable(m)) if module == "notebooks" else [module]
    code = ("import importlib, json, sys\n"
            f"for m in {targets!r}: importlib.import_module(m)\n"
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_pool') "
            f"or m.startswith({FORBIDDEN_ON_READ_SIDE!r}))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=config.REPO)
    assert json.loads(out.stdout) == [], f"{module} loaded {out.stdout.strip()}"


def _importable(name: str) -> bool:
    base = PACKAGE.parent / name.replace(".", "/")
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def test_the_read_side_check_sees_a_forbidden_import():
    code = "import bench.measure.wire, sys; print('psycopg' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
