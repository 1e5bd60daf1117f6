"""Reproducible installs: ``requirements.lock`` pins, at the installed version, every package that
``pip install -e ".[dev]"`` brings into the virtualenv (the project's distribution, its dependencies and the dev
extras, followed recursively through importlib.metadata), and nothing else — so the lock cannot silently drift from
what the tests run on. ``scripts/setup.sh`` installs with ``-c requirements.lock``.

Also the lock's generator: ``.venv/bin/python tests/test_dependencies.py > requirements.lock`` writes the lock
from what is installed (see the lock's header).
"""
from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
PROJECT = "apprenticeship-filing"
EXTRAS = ("dev",)
PIN_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.!+_-]+)$")

HEADER = """\
# requirements.lock: the exact version of every package that `pip install -e ".[dev]"` installs (the project's
# dependencies and dev extras, recursively). scripts/setup.sh installs with `-c requirements.lock`, so developers and
# CI get these versions; tests/test_dependencies.py fails when the virtualenv and this file disagree.
# Regenerate after changing dependencies in pyproject.toml (or to take upgrades), then run the tests and pip-audit:
#   .venv/bin/pip install -e ".[dev]"        # add --upgrade --upgrade-strategy eager to take every upgrade
#   .venv/bin/python tests/test_dependencies.py > requirements.lock
#   .venv/bin/pip-audit -r requirements.lock --no-deps --disable-pip
"""


@pytest.fixture(autouse=True)
def fresh_data():
    """No database here: the suite's per-test reset (tests/conftest.py) is not needed."""
    yield


def installed_closure(project: str = PROJECT, extras: tuple[str, ...] = EXTRAS) -> dict[str, tuple[str, str]]:
    """canonical name → (distribution name, installed version) of every package the project (with ``extras``)
    requires, directly or not, markers evaluated for this interpreter; the project itself is left out."""
    found: dict[str, tuple[str, str]] = {}
    extras_seen: dict[str, set[str]] = {}
    todo = [(project, set(extras))]
    while todo:
        name, wanted = todo.pop()
        dist = metadata.distribution(name)  # PackageNotFoundError: a requirement is not installed at all
        key = canonicalize_name(dist.metadata["Name"])
        if key in extras_seen and wanted <= extras_seen[key]:
            continue
        extras_seen[key] = extras_seen.get(key, set()) | wanted
        found[key] = (dist.metadata["Name"], dist.version)
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not any(
                    requirement.marker.evaluate({"extra": extra}) for extra in (extras_seen[key] or {""})):
                continue
            todo.append((requirement.name, set(requirement.extras)))
    found.pop(canonicalize_name(project))
    return found


def lock_text() -> str:
    pins = sorted(installed_closure().values(), key=lambda item: canonicalize_name(item[0]))
    return HEADER + "".join(f"{name}=={version}\n" for name, version in pins)


def read_lock() -> dict[str, str]:
    """canonical name → pinned version; every line that is not a comment must be an exact ``name==version``."""
    pins: dict[str, str] = {}
    for number, line in enumerate(LOCK.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN_RE.match(line)
        assert match, f"requirements.lock line {number} is not an exact pin (name==version): {line!r}"
        key = canonicalize_name(match.group(1))
        assert key not in pins, f"requirements.lock pins {match.group(1)} twice"
        pins[key] = match.group(2)
    return pins


def test_every_installed_requirement_is_pinned_at_its_installed_version():
    pins = read_lock()
    closure = installed_closure()
    assert len(closure) > 50, "the project's distribution metadata looks incomplete: run scripts/setup.sh"
    assert {"flask", "flask-appbuilder", "sqlalchemy", "pytest", "pip-audit"} <= closure.keys()
    unpinned = sorted(name for key, (name, _v) in closure.items() if key not in pins)
    wrong = sorted(f"{name}: installed {version}, locked {pins[key]}"
                   for key, (name, version) in closure.items() if key in pins and pins[key] != version)
    stale = sorted(key for key in pins if key not in closure)
    regenerate = "regenerate it: .venv/bin/python tests/test_dependencies.py > requirements.lock"
    assert not unpinned, f"installed but not in requirements.lock: {unpinned}; {regenerate}"
    assert not wrong, f"installed versions differ from requirements.lock: {wrong}; {regenerate} (or reinstall " \
                      f"with scripts/setup.sh)"
    assert not stale, f"requirements.lock pins packages the project no longer installs: {stale}; {regenerate}"


def test_setup_installs_with_the_lock_as_constraints():
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    install = [line for line in setup.splitlines() if "pip install" in line and '-e ".[dev]"' in line]
    assert install and all("-c requirements.lock" in line for line in install), install
    assert "requirements.lock" in next(line for line in setup.splitlines() if line.startswith("stamp="))


if __name__ == "__main__":
    print(lock_text(), end="")
