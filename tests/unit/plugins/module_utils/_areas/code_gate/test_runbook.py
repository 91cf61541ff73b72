"""The runbook generated from the collection names every playbook, every item with who proves it, and rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import runbook
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[6]


def test_runbook_from_the_collection():
    book = runbook.generate(str(ROOT), "prod")
    assert book["playbooks"][:3] == ["pre_deploy.yml", "deploy.yml", "rollback.yml"]
    assert book["items"] >= 103
    assert "ansible-playbook playbooks/rollback.yml -i inventories/prod" in book["rollback_commands"]
    text = book["text"]
    assert "| 1.1.4 | Code coverage > 70% | automated | role `code_gate` |" in text
    assert "| 8.2.2 | Image scanning enabled | manual | Security lead |" in text
    assert "`smeplatform.deploy.release`" in text


def test_runbook_needs_the_collection(tmp_path):
    with pytest.raises(ConfigurationError):
        runbook.generate(str(tmp_path), "prod")
