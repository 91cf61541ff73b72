"""The catalogue and the roles agree: every automated item is proven where the catalogue says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue

ROOT = Path(__file__).resolve().parents[4]
AUTOMATED = [item for item in Catalogue.load().items() if item.proof == "automated"]


def _role_text(role: str) -> str:
    return "".join(p.read_text() for p in sorted((ROOT / "roles" / role).rglob("*.yml")))


@pytest.mark.parametrize("item", AUTOMATED, ids=[i.id for i in AUTOMATED])
def test_automated_item_is_named_in_its_role(item):
    text = _role_text(item.role)
    assert text, f"{item.id}: role {item.role} does not exist"
    assert re.search(r"[\"' \[,]" + re.escape(item.id) + r"[\"' \],]", text), (
        f"{item.id} is automated by role {item.role}, but no task of that role names it"
    )


# --- the chain: catalogue -> role task -> module -> the Python that records the id ---------------------------

MODULE_PREFIX = "smeplatform.deploy."
# Actions and modules that record the ids their task hands them (items[].id, evidence_id) rather than ids of
# their own; the id is then written in the role task, and the Python records it as given.
RECORDS_GIVEN_IDS = {"evidence", "helm_release", "migration_job", "release_diagnostics"}


def _tasks(folder, node, inherited_tags=()):
    """Every task of a task file, with the tags of the blocks and imports around it."""
    import yaml

    for task in node or []:
        if not isinstance(task, dict):
            continue
        tags = tuple(str(t) for t in (task.get("tags") or [])) + tuple(inherited_tags)
        for key in ("block", "rescue", "always"):
            if key in task:
                yield from _tasks(folder, task[key], tags)
        imported = task.get("ansible.builtin.import_tasks") or task.get("ansible.builtin.include_tasks")
        if imported:
            yield from _tasks(folder, yaml.safe_load((folder / imported).read_text()), tags)
        yield task, tags


def _module_of(task):
    return next((k[len(MODULE_PREFIX) :] for k in task if k.startswith(MODULE_PREFIX)), None)


def _names(task, item_id):
    """The task names the id: as a tag (its own or its block's), or in the arguments it hands its module."""
    return item_id in task[1] or re.search(r"(?<![\w.])" + re.escape(item_id) + r"(?![\w.])", str(task[0]))


def _area_python(module):
    text = (ROOT / "plugins" / "modules" / f"{module}.py").read_text()
    match = re.search(r"plugins\.module_utils\._areas\.(\w+) import entry", text)
    return sorted((ROOT / "plugins" / "module_utils" / "_areas" / match.group(1)).glob("*.py")) if match else []


def _recorded_in(files, item_id):
    return [p for p in files if re.search(r"[\"']" + re.escape(item_id) + r"[\"']", p.read_text())]


@pytest.mark.parametrize("item", AUTOMATED, ids=[i.id for i in AUTOMATED])
def test_each_automated_item_is_recorded_by_python_that_its_role_calls(item):
    import yaml

    chains = []
    folder = ROOT / "roles" / item.role / "tasks"
    for path in sorted(folder.glob("*.yml")):
        for task in _tasks(folder, yaml.safe_load(path.read_text())):
            module = _module_of(task[0])
            if module is None or not _names(task, item.id):
                continue
            recorded = _recorded_in(_area_python(module), item.id)
            if recorded:
                chains.append(f"{path.name} -> {module} -> {recorded[0].relative_to(ROOT)}")
            elif module in RECORDS_GIVEN_IDS and re.search(re.escape(item.id), str(task[0])):
                chains.append(f"{path.name} -> {module} (records the id the task gives)")
    assert chains, (
        f"{item.id}: no task of role {item.role} names it and calls a module whose Python records it "
        "(an id in the area's Python, or handed to evidence/helm_release/migration_job/release_diagnostics)"
    )
