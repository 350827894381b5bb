"""The locks pin every dependency exactly, with hashes, and name no package index."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pins(lock: Path) -> dict[str, str]:
    return {m[0].lower(): m[1] for m in re.findall(r"^([A-Za-z0-9._-]+)==(\S+) \\$", lock.read_text(), re.MULTILINE)}


def test_every_dependency_in_pyproject_is_pinned_in_the_locks() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    test = {_name(r) for r in project["optional-dependencies"]["test"]}
    assert runtime - set(_pins(ROOT / "requirements.lock")) == set(), "run `make lock`"
    assert (runtime | test) - set(_pins(ROOT / "requirements-test.lock")) == set(), "run `make lock`"


def test_the_locks_agree_on_every_version_they_share() -> None:
    runtime, test = _pins(ROOT / "requirements.lock"), _pins(ROOT / "requirements-test.lock")
    assert {name: (v, test[name]) for name, v in runtime.items() if test.get(name) != v} == {}


def test_every_pin_carries_a_hash_and_no_index_or_host_is_named() -> None:
    for lock in ("requirements.lock", "requirements-test.lock"):
        text = (ROOT / lock).read_text()
        blocks = re.split(r"\n(?=[A-Za-z0-9._-]+==)", text.split("\n", 7)[-1])
        for block in blocks:
            if "==" in block.split("\n", 1)[0]:
                assert "--hash=sha256:" in block, block.split("\n", 1)[0]
        assert not re.search(r"^\s*--(index-url|extra-index-url|find-links|trusted-host)", text, re.MULTILINE)
        assert "://" not in text
