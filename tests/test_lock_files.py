"""The lock files install what pyproject.toml asks for: a fresh machine gets every dependency, pinned."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", re.MULTILINE)


def pinned(lock: str) -> dict[str, str]:
    """The name and version of each package a lock file pins."""
    text = (ROOT / lock).read_text()
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def declared(extra: str | None) -> list[Requirement]:
    """The requirements pyproject.toml declares: the runtime ones, plus an extra's."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = list(project["dependencies"])
    if extra:
        names += project["optional-dependencies"][extra]
    return [Requirement(name) for name in names]


@pytest.mark.parametrize(("lock", "extra"), [("requirements.txt", None), ("requirements-dev.txt", "dev")])
def test_every_declared_dependency_is_pinned_within_its_range(lock, extra):
    pins = pinned(lock)
    wrong = []
    for requirement in declared(extra):
        version = pins.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            wrong.append(f"{requirement} (locked: {version or 'missing'})")
    assert not wrong, f"{lock} is out of date, run `make lock`: {', '.join(wrong)}"


def test_every_pin_carries_a_hash():
    for lock in ("requirements.txt", "requirements-dev.txt"):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text())
        unhashed = [b.split()[0] for b in blocks if PIN.match(b) and "--hash=sha256:" not in b]
        assert not unhashed, f"{lock}: no hash for {unhashed}"


def test_run_installs_the_runtime_lock_only():
    runtime = pinned("requirements.txt")
    assert "playwright" not in runtime and "schemathesis" not in runtime
    assert {"playwright", "schemathesis", "pytest"} <= set(pinned("requirements-dev.txt"))
