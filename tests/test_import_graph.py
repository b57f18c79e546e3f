"""No import cycle in campaign/: each module can be read, and loaded, before the modules that use it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "campaign"


def _module_name(path: Path) -> str:
    """campaign/a/b.py -> campaign.a.b; campaign/a/__init__.py -> campaign.a."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_at_load(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The imports a module runs when it is loaded: not those in functions or under TYPE_CHECKING."""
    found: list[ast.Import | ast.ImportFrom] = []
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.unparse(statement.test):
            continue
        found += [node for node in ast.walk(statement) if isinstance(node, ast.Import | ast.ImportFrom)]
    return found


def import_graph() -> dict[str, set[str]]:
    """Each module of campaign/ and the modules of campaign/ it imports when loaded.

    Parsed in a fresh interpreter: CPython 3.11's ast.parse fails with
    "SystemError: AST constructor recursion depth mismatch" anywhere in a
    process where an earlier RecursionError was raised (another test's deep
    input does that in a full run); the count is the interpreter's, not a thread's.
    """
    found = subprocess.run([sys.executable, __file__], capture_output=True, text=True, check=True, timeout=60)
    return {name: set(edges) for name, edges in json.loads(found.stdout).items()}


def _graph_in_this_process() -> dict[str, set[str]]:
    """import_graph(), computed here."""
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        edges: set[str] = set()
        for node in _imported_at_load(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {alias.name for alias in node.names if alias.name in paths}
            elif node.module and node.level == 0:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    edges |= {submodule} if submodule in paths else {node.module} & paths.keys()
        graph[name] = edges - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the path that closes it, or None (depth-first, without recursion)."""
    done: set[str] = set()
    for start in sorted(graph):
        path: list[str] = []
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        on_path = {start}
        path.append(start)
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                on_path.discard(path.pop())
                done.add(node)
                continue
            following = todo.pop()
            if following in on_path:
                return [*path[path.index(following) :], following]
            if following not in done:
                stack.append((following, sorted(graph[following])))
                on_path.add(following)
                path.append(following)
    return None


def test_no_module_of_campaign_imports_itself_through_others():
    """A cycle makes a module half-loaded when another reads it: the order of imports starts to matter."""
    assert find_cycle(import_graph()) is None


def test_the_walk_finds_a_cycle_when_there_is_one():
    """The check itself sees a cycle, so that the test above cannot pass by seeing nothing."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert len(import_graph()) > 100 and "campaign.mail.service" in import_graph()["campaign.targets.service"]


if __name__ == "__main__":
    print(json.dumps({name: sorted(edges) for name, edges in _graph_in_this_process().items()}))
