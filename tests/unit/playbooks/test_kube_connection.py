"""Every call of a module that talks to Kubernetes, in a role's task file that playbooks run on its own
(`tasks_from`), gets the inventory's cluster: its kubeconfig as an argument or from an enclosing block's
module_defaults. Without it the module falls back to the environment or the in-cluster configuration, which holds
only where the lab happens to export KUBECONFIG."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
GROUP = "group/smeplatform.deploy.kubernetes"


def kube_modules() -> set[str]:
    runtime = yaml.safe_load((ROOT / "meta/runtime.yml").read_text())
    return {f"smeplatform.deploy.{m}" for m in runtime["action_groups"]["kubernetes"]} | {"kubernetes.core.k8s"}


def entry_files() -> set[Path]:
    """Task files playbooks include by tasks_from, and every role's main.yml."""
    found = set(ROOT.glob("roles/*/tasks/main.yml"))
    for playbook in ROOT.glob("playbooks/*.yml"):
        for node in walk(yaml.safe_load(playbook.read_text()) or []):
            for key in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
                ref = node.get(key) if isinstance(node, dict) else None
                if (
                    isinstance(ref, dict)
                    and ref.get("tasks_from")
                    and str(ref.get("name", "")).startswith("smeplatform")
                ):
                    role = ref["name"].split(".")[-1]
                    found.add(ROOT / "roles" / role / "tasks" / f"{ref['tasks_from']}.yml")
    return found


def walk(node):
    if isinstance(node, list):
        for item in node:
            yield from walk(item)
    elif isinstance(node, dict):
        yield node
        for value in node.values():
            if isinstance(value, (list, dict)):
                yield from walk(value)


def unconnected(tasks, path: Path, covered: bool = False):
    """(file, task name) of kube module calls with neither kubeconfig nor the group's module_defaults."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        here = covered or GROUP in (task.get("module_defaults") or {})
        for section in ("block", "rescue", "always"):
            if section in task:
                yield from unconnected(task[section], path, here)
        imported = task.get("ansible.builtin.import_tasks") or task.get("ansible.builtin.include_tasks")
        if imported:
            target = path.parent / str(imported)
            if target.exists():
                yield from unconnected(yaml.safe_load(target.read_text()), target, here)
        for module in kube_modules() & set(task):
            args = task[module] if isinstance(task[module], dict) else {}
            if not here and "kubeconfig" not in args:
                yield (str(path.relative_to(ROOT)), task.get("name"))


def test_every_kubernetes_call_gets_the_inventorys_cluster():
    missing = [
        hit
        for path in sorted(entry_files())
        if path.exists()
        for hit in unconnected(yaml.safe_load(path.read_text()), path)
    ]
    assert missing == []


def test_the_check_finds_a_call_without_its_cluster(tmp_path):
    tasks = [{"name": "lock", "smeplatform.deploy.deploy_lock": {"name": "x", "state": "free"}}]
    assert list(unconnected(tasks, ROOT / "roles/release/tasks/x.yml")) == [("roles/release/tasks/x.yml", "lock")]
    block = [{"module_defaults": {GROUP: {"kubeconfig": "k"}}, "block": tasks}]
    assert list(unconnected(block, ROOT / "roles/release/tasks/x.yml")) == []
