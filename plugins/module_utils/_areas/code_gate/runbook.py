# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment runbook, generated from the collection itself (checklist 10.1.2).

What runs (the playbooks, their plays and roles, in order), what each checklist item is and who or what proves it,
and how to roll back (the rollback playbook's own usage lines and the rollback items). Generated from the files
that drive the deployment, so it cannot drift from them.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.yaml_file import read_yaml

PLAYBOOK_ORDER = ("pre_deploy.yml", "deploy.yml", "rollback.yml", "generate_secrets.yml")


def _header(path: str) -> list[str]:
    """The comment block at the top of a playbook, without the '#'."""
    lines = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("---"):
                continue
            if not line.startswith("#"):
                break
            lines.append(line[1:].rstrip()[1:] if line[1:2] == " " else line[1:].rstrip())
    return lines


def _steps(play: dict[str, Any]) -> list[str]:
    steps = []
    for task in play.get("tasks") or []:
        for key in ("ansible.builtin.include_role", "ansible.builtin.import_role", "include_role", "import_role"):
            if isinstance(task.get(key), dict):
                role = task[key].get("name", "")
                entry = task[key].get("tasks_from")
                steps.append(f"{task.get('name', role)}: `{role}`" + (f" (`{entry}`)" if entry else ""))
    return steps


def generate(collection_root: str, environment: str, catalogue_path: str = "") -> dict[str, Any]:
    """{text, sha256, playbooks, items, rollback_commands} of the runbook for environment."""
    playbooks_dir = os.path.join(collection_root, "playbooks")
    catalogue = read_yaml(
        catalogue_path or os.path.join(collection_root, "checklist", "catalogue.yml"), "the checklist catalogue"
    )
    if not isinstance(catalogue, dict) or not isinstance(catalogue.get("sections"), list):
        raise ConfigurationError(f"{catalogue_path or collection_root}: not the checklist catalogue")
    if not os.path.isdir(playbooks_dir):
        raise ConfigurationError(f"{collection_root} has no playbooks folder: set the collection root of the runbook")
    inventory = f"inventories/{environment}"
    out = [
        f"# Deployment runbook: {catalogue.get('platform', '')} ({environment})",
        "",
        "Generated from the collection smeplatform.deploy (its playbooks and checklist catalogue); "
        "regenerate it instead of editing it.",
        "",
    ]
    names = [n for n in PLAYBOOK_ORDER if os.path.exists(os.path.join(playbooks_dir, n))]
    names += sorted(n for n in os.listdir(playbooks_dir) if n.endswith(".yml") and n not in names)
    out += ["## Playbooks, in the order of a deployment", ""]
    for name in names:
        path = os.path.join(playbooks_dir, name)
        out += [f"### `ansible-playbook playbooks/{name} -i {inventory}`", ""]
        header = _header(path)
        if header:  # the playbook's own usage notes, line for line
            out += ["```text", *header, "```", ""]
        for play in read_yaml(path, "the playbook") or []:
            if "import_playbook" in play or "ansible.builtin.import_playbook" in play:
                target = play.get("ansible.builtin.import_playbook") or play.get("import_playbook")
                out.append(f"- {play.get('name', target)}: runs `{target}`")
                continue
            out.append(f"- play **{play.get('name', '')}** on `{play.get('hosts', '')}`")
            out += [f"  - {step}" for step in _steps(play)]
        out.append("")
    items = 0
    rollback_items = []
    out += ["## Checklist items and who proves them", "", "| id | item | proof | by |", "|---|---|---|---|"]
    for section in catalogue["sections"]:
        for group in section.get("groups") or []:
            for item in group.get("items") or []:
                items += 1
                by = f"role `{item.get('role')}`" if item.get("proof") == "automated" else str(item.get("owner", ""))
                text = str(item.get("text", "")).replace("|", "/")
                out.append(f"| {item.get('id')} | {text} | {item.get('proof')} | {by} |")
                if str(item.get("id", "")).startswith("rollback."):
                    rollback_items.append(f"{item['id']}: {text}")
    commands = [f"ansible-playbook playbooks/rollback.yml -i {inventory}"]
    rollback = os.path.join(playbooks_dir, "rollback.yml")
    usage = (
        [line.strip() for line in _header(rollback) if "ansible-playbook" in line] if os.path.exists(rollback) else []
    )
    commands += [u for u in usage if u not in commands]
    out += ["", "## Rollback", "", "```sh", *commands, "```", "", *[f"- {r}" for r in rollback_items], ""]
    text = "\n".join(out)
    return {
        "text": text,
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "playbooks": names,
        "items": items,
        "rollback_commands": commands,
    }
