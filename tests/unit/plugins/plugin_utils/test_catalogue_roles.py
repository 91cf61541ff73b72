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
