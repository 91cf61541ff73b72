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


def dicts_of(node: Any) -> list[dict[str, Any]]:
    """Every mapping of a playbook's tree, at any depth."""
    if isinstance(node, list):
        return [found for child in node for found in dicts_of(child)]
    if isinstance(node, dict):
        return [node, *(found for child in node.values() for found in dicts_of(child))]
    return []


def includes_of(node: Any) -> list[dict[str, Any]]:
    return [d[key] for d in dicts_of(node) for key in INCLUDES if isinstance(d.get(key), dict)]


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.name)
def test_roles_inputs_are_checked_once_not_again_at_each_include(playbook: Path) -> None:
    # the first play checks every entry point of every role it names; Ansible's own check at each include would
    # template every role variable again, per host
    plays = yaml.safe_load(playbook.read_text(encoding="utf-8"))
    again = [i["name"] for i in includes_of(plays[1:]) if i.get("rolespec_validate", True) is not False]
    assert not again, f"{playbook.name}: includes that check their role's inputs again: {again}"


def module_defaults_of(node: Any) -> list[dict[str, Any]]:
    return [d["module_defaults"] for d in dicts_of(node) if isinstance(d.get("module_defaults"), dict)]


def test_roles_set_the_kubernetes_connection_once_through_the_action_group() -> None:
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    group = {f"smeplatform.deploy.{name}" for name in runtime["action_groups"]["kubernetes"]}
    seen = 0
    for tasks in sorted((ROOT / "roles").glob("*/tasks/*.yml")):
        for defaults in module_defaults_of(yaml.safe_load(tasks.read_text(encoding="utf-8"))):
            seen += 1
            for action, options in defaults.items():
                repeated = {"kubeconfig", "context"} & set(options or {})
                assert action not in group or not repeated, (
                    f"{tasks.relative_to(ROOT)}: module_defaults of {action} repeat {sorted(repeated)}; "
                    "set them once under group/smeplatform.deploy.kubernetes"
                )
            if any(action in group for action in defaults):
                assert "group/smeplatform.deploy.kubernetes" in defaults, f"{tasks.relative_to(ROOT)}"
    assert seen, "no role sets module_defaults"
