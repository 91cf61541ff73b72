"""Every playbook checks the inputs of the roles it runs before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOKS = sorted((ROOT / "playbooks").glob("*.yml"))
INCLUDES = ("ansible.builtin.include_role", "ansible.builtin.import_role")


def roles_run(node: Any) -> set[str]:
    """Short names of the collection's roles a play includes or imports, at any depth of blocks."""
    found: set[str] = set()
    if isinstance(node, list):
        for child in node:
            found |= roles_run(child)
    elif isinstance(node, dict):
        for key in INCLUDES:
            if isinstance(node.get(key), dict):
                found.add(str(node[key]["name"]).removeprefix("smeplatform.deploy."))
        for child in node.values():
            if isinstance(child, (list, dict)):
                found |= roles_run(child)
    return found


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.name)
def test_first_play_checks_the_inputs_of_every_role_run(playbook: Path) -> None:
    plays = yaml.safe_load(playbook.read_text(encoding="utf-8"))
    first = plays[0]
    checks = [t for t in first.get("tasks", []) if "smeplatform.deploy.inputs" in t]
    assert checks, f"{playbook.name}: the first play does not check the roles' inputs (smeplatform.deploy.inputs)"
    assert "always" in checks[0].get("tags", []), f"{playbook.name}: the inputs check must run whatever the tags"
    checked = set(checks[0]["smeplatform.deploy.inputs"]["roles"])
    run = roles_run(plays[1:])
    assert run, f"{playbook.name}: runs no role of the collection"
    assert run <= checked, f"{playbook.name}: roles run without their inputs checked first: {sorted(run - checked)}"
