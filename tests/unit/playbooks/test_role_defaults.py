"""Each role is usable alone with its documented inputs: its defaults need no variable of our inventories.

The roles' defaults fall back to the environment-wide ``smeplatform_*`` facts when an inventory defines them;
without them every default still renders, and what a role writes lands in the folder ansible-playbook runs in,
never inside the installed collection.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar

from ansible_collections.smeplatform.deploy.plugins.plugin_utils.inputs import role_defaults

ROOT = Path(__file__).resolve().parents[3]
ROLES = sorted(p.parent.parent.name for p in (ROOT / "roles").glob("*/defaults/main.yml"))
# Written by the roles on the controller: reports, exports, schedules, the runbook.
OUTPUTS = ("backup_config_dest", "post_deploy_schedule_manifest", "post_deploy_schedule_crontab",
           "post_deploy_report_dir", "code_gate_runbook_dir")  # fmt: skip


@pytest.fixture(autouse=True, scope="module")
def plugins() -> Iterator[None]:
    init_plugin_loader()  # lookups (env, pipe) as ansible-playbook loads them
    yield
    # the collection finder it installed would hide this collection's metadata from the tests that follow
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    _AnsibleCollectionFinder._remove()


def render(role: str, extra: dict[str, Any]) -> dict[str, Any]:
    defaults = role_defaults(role)
    # what Ansible defines for a play run from the installed collection's playbooks, with no inventory file
    magic = {"playbook_dir": str(ROOT / "playbooks"), "role_path": str(ROOT / "roles" / role), "omit": "__omit__"}
    templar = Templar(loader=DataLoader(), variables={**magic, **defaults, **extra})
    rendered = {}
    for name, value in defaults.items():
        try:
            rendered[name] = templar.template(value)
        except AnsibleError as exc:
            raise AssertionError(f"{role}: default of {name} cannot render without our inventory: {exc}") from None
    return rendered


@pytest.mark.parametrize("role", ROLES)
def test_defaults_render_without_inventory_facts(role: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMEPLATFORM_REPORT_DIR", raising=False)
    monkeypatch.delenv("SMEPLATFORM_EVIDENCE_JOURNAL", raising=False)
    rendered = render(role, {})
    for name in OUTPUTS:
        if name in rendered:
            path = Path(os.path.abspath(str(rendered[name])))
            assert not path.is_relative_to(ROOT), f"{role}: {name} defaults inside the collection: {path}"
            assert path.is_relative_to(tmp_path) or not path.is_absolute(), f"{role}: {name} = {path}"


def test_defaults_follow_the_inventory_facts_when_defined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    facts = {
        "smeplatform_environment": "staging",
        "smeplatform_namespace": "sme-ns",
        "smeplatform_release_name": "sme-rel",
        "smeplatform_kubeconfig": "/etc/kube/config",
        "smeplatform_kube_context": "ctx",
        "smeplatform_api_url": "https://api.example.test:8443",
    }
    release = render("release", facts)
    assert (release["release_name"], release["release_namespace"]) == ("sme-rel", "sme-ns")
    assert (release["release_kubeconfig"], release["release_kube_context"]) == ("/etc/kube/config", "ctx")
    backup = render("backup", facts)
    assert Path(backup["backup_config_dest"]) == tmp_path / "backups/config/staging/sme-rel"
    post = render("post_deploy", facts)
    assert post["post_deploy_certificates"] == ["api.example.test:8443"]
    assert post["post_deploy_pod_selector"] == "app.kubernetes.io/instance=sme-rel"
    assert Path(post["post_deploy_schedule_crontab"]) == tmp_path / "schedules/staging-post-deploy.cron"
    assert render("post_deploy", {})["post_deploy_certificates"] == []
