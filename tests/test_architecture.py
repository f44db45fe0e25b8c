"""The package's shape: the core needs no Flask, no module imports another in a circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "consent"
CORE = [
    "consent",
    "consent.registry",
    "consent.loader",
    "consent.state",
    "consent.codec",
    "consent.decisions",
    "consent.regions",
    "consent.gate",
    "consent.consent_mode",
    "consent.lifetimes",
    "consent.banner",
    "consent.audit",
    "consent.diff",
    "consent.cli",
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The package modules ``path`` imports, at any depth of the file (function-level ones too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("consent"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("consent"):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {m for m in found if m in modules and m != name}


def test_no_module_imports_another_in_a_circle() -> None:
    graph = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}
    # A package's __init__ re-exporting its modules is not a circle of dependencies.
    for name, deps in graph.items():
        graph[name] = {d for d in deps if not name.startswith(d + ".")}
    seen: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if seen.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep])
            elif dep not in seen:
                visit(dep)
        stack.pop()
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_no_flask(module: str) -> None:
    code = f"import sys, {module}; assert 'flask' not in sys.modules, sorted(m for m in sys.modules if 'flask' in m)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_every_module_imports_in_a_fresh_interpreter() -> None:
    names = sorted(module_name(p) for p in PACKAGE.rglob("*.py"))
    code = "import importlib\nfor name in " + repr(names) + ":\n    importlib.import_module(name)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_the_public_api_is_small_and_documented() -> None:
    import consent

    assert len(consent.__all__) <= 16
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in consent.__all__:
        assert getattr(consent, name) is not None
        if name != "__version__":
            assert f"`{name}" in readme or f"{name}(" in readme, f"{name} is not in the README"


def test_modules_stay_small() -> None:
    """One concept per module: none grows past ~400 lines unless it is one concept (listed here)."""
    # One concept each, though large: the ledger's store (writing and reading the chain, the spool
    # hand-off; its engines, writer thread and checks live beside it), its command line, the scanner's
    # findings, the cookie's layout with its fast reading path, and the consent state with the
    # slot-by-slot builder the hot path uses. Split further when they grow.
    allowed = {
        "consent.ledger.store": 760,
        "consent.ledger.cli": 480,
        "consent.scan.findings": 500,
        "consent.codec": 480,
        "consent.state": 500,
    }
    for path in PACKAGE.rglob("*.py"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= allowed.get(module_name(path), 450), (module_name(path), lines)


def test_the_readme_configuration_table_is_the_settings_table() -> None:
    from consent.flask.config import SETTINGS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Configuration\n", 1)[1].split("\n\n### ", 1)[0]
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| `CONSENT_")]
    assert [row[0].strip("| `") for row in rows] == list(SETTINGS)
    for row in rows:
        key = row[0].strip("| `")
        default, meaning = SETTINGS[key]
        assert row[1] == f"`{default}`", key
        assert row[2].rstrip(" |") == meaning, key
