"""conftest.py holds fixtures and hooks only; helpers live in tests/support/; nothing imports a conftest.

pytest loads each conftest itself, for the fixtures and hooks of its folder. A
helper kept there could be shared only by importing the conftest, which ties a
test to a folder's fixture file; helpers belong in tests/support/ instead.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# Assignments pytest itself reads at the top of a conftest.
PYTEST_NAMES = {"pytest_plugins", "pytestmark"}


def _is_fixture(decorator: ast.expr) -> bool:
    """@pytest.fixture, @pytest.fixture(...), or @fixture (imported from pytest)."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return ast.unparse(target) in ("pytest.fixture", "fixture")


def _allowed(statement: ast.stmt, index: int) -> bool:
    """True for what a conftest may hold: an import, its docstring, a hook, a fixture, pytest_plugins."""
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return True
    if index == 0 and isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return isinstance(statement.value.value, str)
    if isinstance(statement, ast.Assign | ast.AnnAssign):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return all(isinstance(target, ast.Name) and target.id in PYTEST_NAMES for target in targets)
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
        return statement.name.startswith("pytest_") or any(map(_is_fixture, statement.decorator_list))
    return False


def _imports_a_conftest(node: ast.Import | ast.ImportFrom) -> bool:
    """Whether an import statement reads a conftest module (absolute or relative)."""
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[-1] == "conftest" for alias in node.names)
    if node.module and node.module.split(".")[-1] == "conftest":
        return True
    return any(alias.name == "conftest" for alias in node.names)


def _findings_in_this_process(root: Path) -> dict[str, list[str]]:
    """Each conftest statement that is not a fixture or hook, and each import of a conftest, under root."""
    found: dict[str, list[str]] = {"statements": [], "imports": []}
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if path.name == "conftest.py":
            found["statements"] += [
                f"{name}:{statement.lineno}: {ast.unparse(statement).splitlines()[0]}"
                for index, statement in enumerate(tree.body)
                if not _allowed(statement, index)
            ]
        found["imports"] += [
            f"{name}:{node.lineno}: {ast.unparse(node)}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom) and _imports_a_conftest(node)
        ]
    return found


def findings(root: Path = TESTS) -> dict[str, list[str]]:
    """_findings_in_this_process(root), computed in a fresh interpreter.

    CPython 3.11's ast.parse fails with "SystemError: AST constructor recursion
    depth mismatch" anywhere in a process where an earlier RecursionError was
    raised (another test's deep input does that in a full run).
    """
    found = subprocess.run(
        [sys.executable, __file__, str(root)], capture_output=True, text=True, check=True, timeout=60
    )
    return dict(json.loads(found.stdout))


def test_conftest_files_hold_only_fixtures_and_hooks_and_nothing_imports_one():
    """A helper in a conftest can only be shared by importing the conftest: it belongs in tests/support/."""
    found = findings()
    assert found["statements"] == [], "move these to tests/support/:\n" + "\n".join(found["statements"])
    assert found["imports"] == [], "import these from tests/support/:\n" + "\n".join(found["imports"])


def test_the_check_sees_a_helper_in_a_conftest_and_an_import_of_one(tmp_path: Path):
    """The check itself finds what it forbids, so that the test above cannot pass by seeing nothing."""
    (tmp_path / "area").mkdir()
    (tmp_path / "area" / "conftest.py").write_text(
        '"""Fixtures."""\n'
        "import pytest\n"
        "pytest_plugins = ['x']\n"
        "LIMIT = 3\n"
        "@pytest.fixture(autouse=True)\n"
        "def fresh(): ...\n"
        "def pytest_configure(config): ...\n"
        "def helper(): ...\n"
        "class Thing: ...\n",
        encoding="utf-8",
    )
    (tmp_path / "area" / "test_area.py").write_text(
        "from tests.area.conftest import helper\n"
        "def test_it():\n"
        "    from .conftest import Thing\n"
        "    from . import conftest\n",
        encoding="utf-8",
    )
    found = findings(tmp_path)
    assert [line.split(": ", 1)[1] for line in found["statements"]] == [
        "LIMIT = 3",
        "def helper():",
        "class Thing:",
    ]
    assert [line.split(":")[1] for line in found["imports"]] == ["1", "3", "4"]


if __name__ == "__main__":
    print(json.dumps(_findings_in_this_process(Path(sys.argv[1]) if len(sys.argv) > 1 else TESTS)))
