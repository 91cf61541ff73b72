"""The smoke gate's ids: every check proves catalogue items owned by the smoke role."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.ids import (
    CHECKS,
    EVIDENCE_IDS,
    ROLLBACK_CHECKS,
    ROLLBACK_IDS,
)
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue


def test_every_evidence_id_is_in_the_catalogue_and_owned_by_the_smoke_role():
    catalogue = Catalogue.load()
    for ids in [*EVIDENCE_IDS.values(), ROLLBACK_IDS]:
        for item_id in ids:
            assert catalogue.item(item_id).role == "smoke", item_id


def test_the_rollback_checks_are_deploy_checks():
    assert set(ROLLBACK_CHECKS) <= set(CHECKS)
