"""Histories say what was done in words, not the log's codes: every action the app writes has its phrase.

The scan reads the code, not the database: for every call of the audit log's
writer (`campaign.audit.service.record`) it finds the action codes the call can
write, following a code passed through a helper's parameter (`_record(user,
"change.approved", ...)`) or kept in a name or a table. A call whose code it
cannot find fails the test too: a new action cannot ship without its phrase.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import force_locale
from markupsafe import escape

from campaign.audit.actors import actor_names
from campaign.audit.phrases import PHRASES, action_phrase
from campaign.audit.service import record
from tests.support.builder import draft_of, press

ROOT = Path(__file__).resolve().parent.parent
WRITER_MODULE = "campaign.audit.service"
# What an action code looks like ("campaign.approved"), to pick them out of a table of several.
CODE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


Function = ast.FunctionDef | ast.AsyncFunctionDef


class Unresolved(Exception):
    """An audit call whose action code the scan cannot tell."""


@dataclass
class Module:
    """One parsed module of the platform, with each node's parent and its imports of other modules."""

    name: str
    path: Path
    tree: ast.Module
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)
    # local name -> (module, name) for `from module import name [as local]`
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Index parents and `from ... import` names."""
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:  # `import campaign.audit.service as audit`: audit.record
                        parent, _, last = alias.name.rpartition(".")
                        self.imported[alias.asname] = (parent, last)

    def enclosing_function(self, node: ast.AST) -> Function | None:
        """The function a node is in, if any."""
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None

    def calls(self) -> Iterator[ast.Call]:
        """Every call in the module."""
        return (node for node in ast.walk(self.tree) if isinstance(node, ast.Call))


def _modules() -> dict[str, Module]:
    """Every module of campaign/ and worker/, by dotted name."""
    found: dict[str, Module] = {}
    for folder in ("campaign", "worker"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8")))
    return found


def _refers_to(module: Module, func: ast.expr, owner: str, name: str, modules: dict[str, Module]) -> bool:
    """Whether a call's function is `owner.name`: imported by name, or from a module that holds it."""
    if isinstance(func, ast.Name):
        return func.id == name if module.name == owner else module.imported.get(func.id) == (owner, name)
    if isinstance(func, ast.Attribute) and func.attr == name and isinstance(func.value, ast.Name):
        source = module.imported.get(func.value.id)
        if source is None:
            return False
        holder = f"{source[0]}.{source[1]}"
        # `from campaign.builder import service` then `service.record`, where that module imported record
        return holder == owner or (holder in modules and modules[holder].imported.get(name) == (owner, name))
    return False


def _argument(call: ast.Call, function: Function, parameter: str) -> ast.expr:
    """The expression a call passes for one of the function's parameters."""
    for keyword in call.keywords:
        if keyword.arg == parameter:
            return keyword.value
    names = [arg.arg for arg in function.args.posonlyargs + function.args.args]
    index = names.index(parameter)
    if index < len(call.args) and not any(isinstance(arg, ast.Starred) for arg in call.args[: index + 1]):
        return call.args[index]
    raise Unresolved(f"a call of {function.name} passes no {parameter}")


def _codes_within(node: ast.AST) -> set[str]:
    """The action codes written out anywhere inside an expression (a table of them, a tuple)."""
    codes = {
        found.value
        for found in ast.walk(node)
        if isinstance(found, ast.Constant) and isinstance(found.value, str) and CODE.match(found.value)
    }
    if not codes:
        raise Unresolved("no action code in " + ast.unparse(node))
    return codes


def _assigned(scope: ast.AST, name: str) -> list[tuple[ast.expr, bool]]:
    """What a scope assigns to a name: each value, and whether it was unpacked from it."""
    found: list[tuple[ast.expr, bool]] = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            pairs = [(node.target, node.value)]
        else:
            continue
        for target, value in pairs:
            if isinstance(target, ast.Name) and target.id == name:
                found.append((value, False))
            elif isinstance(target, ast.Tuple) and any(
                isinstance(item, ast.Name) and item.id == name for item in target.elts
            ):
                found.append((value, True))
    return found


class Scan:
    """Finds the action codes every audit call of the platform can write."""

    def __init__(self) -> None:
        """Parse the platform's modules."""
        self.modules = _modules()

    def codes(self) -> tuple[dict[str, set[str]], list[str]]:
        """Each code with where it is written, and each call whose code could not be told."""
        written: dict[str, set[str]] = {}
        unresolved: list[str] = []
        for module in self.modules.values():
            if module.name == WRITER_MODULE:
                continue
            for call in module.calls():
                if not _refers_to(module, call.func, WRITER_MODULE, "record", self.modules):
                    continue
                where = f"{module.path.relative_to(ROOT)}:{call.lineno}"
                try:
                    action = _argument(call, self._writer(), "action")
                    for code in self.resolve(module, action, depth=0):
                        written.setdefault(code, set()).add(where)
                except Unresolved as problem:
                    unresolved.append(f"{where}: {problem}")
        return written, unresolved

    def _writer(self) -> ast.FunctionDef:
        """The audit log's writer function."""
        tree = self.modules[WRITER_MODULE].tree
        return next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "record")

    def resolve(self, module: Module, node: ast.expr, depth: int) -> set[str]:
        """The strings an expression can be: a literal, either side of an `if`, or what a name holds."""
        if depth > 6:
            raise Unresolved("too many steps to " + ast.unparse(node))
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return self.resolve(module, node.body, depth + 1) | self.resolve(module, node.orelse, depth + 1)
        if isinstance(node, ast.Name):
            return self._name(module, node, depth)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            return _codes_within(self._definition(module, node.value))
        raise Unresolved("cannot tell the action of " + ast.unparse(node))

    def _name(self, module: Module, node: ast.Name, depth: int) -> set[str]:
        """What a name holds: a parameter (every caller's argument), a local, or a module's constant."""
        function = module.enclosing_function(node)
        if function is not None:
            arguments = function.args
            parameters = [arg.arg for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs]
            if node.id in parameters:
                return self._passed(module, function, node.id, depth)
            local = _assigned(function, node.id)
            if local:
                return self._values(module, local, depth)
        return self._values(module, [(self._definition(module, node), False)], depth)

    def _values(self, module: Module, assigned: list[tuple[ast.expr, bool]], depth: int) -> set[str]:
        """The codes assigned values can be (an unpacked value: the codes written inside it)."""
        codes: set[str] = set()
        for value, is_unpacked in assigned:
            if is_unpacked:
                # `action, detail = _POLICY_ACTIONS[policy]`: the codes in the table
                table = value.value if isinstance(value, ast.Subscript) else value
                if isinstance(table, ast.Name):
                    table = self._definition(module, table)
                codes |= _codes_within(table)
            else:
                codes |= self.resolve(module, value, depth + 1)
        return codes

    def _definition(self, module: Module, node: ast.expr) -> ast.expr:
        """The value a module-level name (or one it imported) is given."""
        if not isinstance(node, ast.Name):
            raise Unresolved("cannot tell the value of " + ast.unparse(node))
        found = [value for value, _ in _assigned(ast.Module(body=module.tree.body, type_ignores=[]), node.id)]
        top = [value for value in found if module.enclosing_function(value) is None]
        if len(top) == 1:
            return top[0]
        source = module.imported.get(node.id)
        if source and source[0] in self.modules:
            return self._definition(self.modules[source[0]], ast.Name(id=source[1]))
        raise Unresolved(f"cannot tell the value of {node.id}")

    def _passed(self, module: Module, function: Function, parameter: str, depth: int) -> set[str]:
        """Every code the callers of a helper pass it, in its module and in those that import it."""
        codes: set[str] = set()
        callers = 0
        for other in self.modules.values():
            for call in other.calls():
                if _refers_to(other, call.func, module.name, function.name, self.modules):
                    callers += 1
                    codes |= self.resolve(other, _argument(call, function, parameter), depth + 1)
        if not callers:
            raise Unresolved(f"nothing calls {function.name}, which passes its {parameter} on")
        return codes


def _scan_in_this_process() -> dict[str, Any]:
    """Each action code and where it is written, the calls it cannot tell, AuditEvents built by hand."""
    scan = Scan()
    written, unresolved = scan.codes()
    direct = [
        f"{module.path.relative_to(ROOT)}:{call.lineno}"
        for module in scan.modules.values()
        if module.name != WRITER_MODULE
        for call in module.calls()
        if _refers_to(module, call.func, "campaign.audit.models", "AuditEvent", scan.modules)
    ]
    return {
        "written": {code: sorted(where) for code, where in written.items()},
        "unresolved": unresolved,
        "direct": direct,
    }


def _scan() -> dict[str, Any]:
    """_scan_in_this_process(), in a fresh interpreter.

    As in tests/test_import_graph.py: CPython 3.11's ast.parse fails anywhere in a
    process where an earlier test raised a RecursionError.
    """
    found = subprocess.run(
        [sys.executable, "-m", "tests.test_audit_phrases"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(found.stdout)


def test_every_action_the_app_writes_has_a_phrase():
    """A new `record(...)` whose action has no phrase fails here, before a history shows its code."""
    scan = _scan()
    written = scan["written"]

    assert not scan["unresolved"], "audit calls whose action the scan cannot tell:\n" + "\n".join(
        scan["unresolved"]
    )
    # No module builds an AuditEvent itself, around the writer and so around this scan.
    assert not scan["direct"], scan["direct"]
    # The scan finds codes written directly, through helpers and from a table.
    through_helpers = {"change.approved", "campaign.submitted", "partner.accepted", "organization.exports"}
    assert {"campaign.approved", *through_helpers} <= written.keys()
    missing = {code: where for code, where in written.items() if code not in PHRASES}
    assert not missing, f"actions without a phrase in campaign/audit/phrases.py: {missing}"


def test_no_two_actions_read_the_same(app):
    """Each phrase names its own action, so a history never makes two different things look alike."""
    with app.test_request_context():
        phrases = [str(phrase) for phrase in PHRASES.values()]
    assert len(set(phrases)) == len(phrases)


def test_an_unknown_action_is_shown_as_stored(app):
    """An action an older release wrote, or one without its phrase yet, reads as its code, not an error."""
    with app.test_request_context():
        assert action_phrase("campaign.approved") == "approved the campaign"
        assert action_phrase("campaign.archived_in_2019") == "campaign.archived_in_2019"
        assert action_phrase(None) == ""


def test_a_signer_acting_from_their_own_page_is_named_as_a_signer(app, db):
    """A consent withdrawn from a signer's own page reads "A signer withdrew their consent...", not a code."""
    with app.test_request_context():
        names = actor_names(["supporter:own-page"])
        said = f"{names['supporter:own-page']} {action_phrase('partner.consent_withdrawn')}"
    assert said == "A signer withdrew their consent to a partner's emails"


def test_the_moderation_history_says_what_was_done(app, db, team):
    """Staff read "approved the campaign" and "sent the campaign back for changes", not the log's codes."""
    campaign = draft_of(db, team.organizer, team.organization)
    page = f"/organize/campaigns/{campaign.id}"
    assert press(team.organizer, page, f"{page}/submit").status_code == 303
    review = f"/staff/moderation/{campaign.id}"
    assert press(team.staff, review, f"{review}/reject", reason="Please cite a source.").status_code == 303
    record("system:webhooks", "campaign.noted_long_ago", f"campaign:{campaign.id}")
    db.session.commit()

    html = team.staff.browser.get(review).get_data(as_text=True)

    history = html[html.index('id="history-heading"') :]
    assert "<td>created the campaign</td>" in history
    assert "<td>submitted the campaign for review</td>" in history
    assert "<td>sent the campaign back for changes: Please cite a source.</td>" in history
    for code in ("campaign.created", "campaign.submitted", "campaign.rejected"):
        assert code not in history
    # An action without a phrase still shows, as its code, and the page works.
    assert "<td>campaign.noted_long_ago</td>" in history

    # In French, the phrase in French (English until the catalog has it), never the code.
    french = team.staff.browser.get(f"{review}?lang=fr").get_data(as_text=True)
    with app.test_request_context(), force_locale("fr"):
        submitted = action_phrase("campaign.submitted")
    history = french[french.index('id="history-heading"') :]
    assert f"<td>{escape(submitted)}</td>" in history
    assert "campaign.submitted" not in history


def test_the_account_history_says_what_was_done_and_who_did_it(db, team):
    """A staff member's page for an account reads "Admin changed the account's role"."""
    page = f"/staff/users/{team.organizer.user.id}"
    assert press(team.admin, page, f"{page}/role", role="staff").status_code == 303

    html = team.admin.browser.get(page).get_data(as_text=True)

    assert f"{team.admin.user.display_name} changed the account&#39;s role" in html
    assert "user.role_changed" not in html


if __name__ == "__main__":
    print(json.dumps(_scan_in_this_process()))
