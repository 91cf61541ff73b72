"""The code gate's option table agrees with the role that passes it and the module that documents it."""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import options
from ansible_collections.smeplatform.deploy.plugins.modules import code_gate_check

ROOT = Path(__file__).resolve().parents[6]


def test_the_module_documents_every_option_with_the_tables_default():
    documented = yaml.safe_load(code_gate_check.DOCUMENTATION)["options"]
    assert set(documented) == set(options.ARGUMENT_SPEC)
    for name, spec in options.ARGUMENT_SPEC.items():
        assert documented[name].get("default") == spec.get("default"), name


def test_the_role_passes_every_option_and_documents_the_same_defaults():
    tasks = yaml.safe_load((ROOT / "roles/code_gate/tasks/main.yml").read_text())
    passed = set(tasks[0]["smeplatform.deploy.code_gate_check"])
    assert passed == set(options.ARGUMENT_SPEC) - {"items"}  # the role checks every item
    defaults = yaml.safe_load((ROOT / "roles/code_gate/defaults/main.yml").read_text())
    for name, spec in options.ARGUMENT_SPEC.items():
        if spec.get("required") or f"code_gate_{name}" not in defaults:
            continue
        if "{{" not in str(defaults[f"code_gate_{name}"]):
            assert defaults[f"code_gate_{name}"] == spec.get("default"), name


def test_the_items_are_the_catalogues_code_gate_items_and_the_registry_policies():
    catalogue = yaml.safe_load((ROOT / "checklist/catalogue.yml").read_text())
    mine = {
        i["id"] for s in catalogue["sections"] for g in s["groups"] for i in g["items"] if i.get("role") == "code_gate"
    }
    assert set(options.ITEMS) == mine | {"8.2.2", "8.2.3"}
    assert options.code_gate_check()["supports_check_mode"] is True
