"""The smoke gate's ids: every check proves catalogue items owned by the smoke role."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.ids import (
    CHECKS,
    EVIDENCE_IDS,
    ROLLBACK_CHECKS,
    ROLLBACK_IDS,
)
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue

# The gate measures the error rate and p95 at smoke time; the first hour's watch (role post_deploy) proves them
# over the whole hour, so the catalogue gives them to post_deploy.
WATCHED_OVER_THE_HOUR = {"post.hour.1", "post.hour.2"}


def test_every_evidence_id_is_in_the_catalogue_and_owned_by_the_smoke_role():
    catalogue = Catalogue.load()
    for ids in [*EVIDENCE_IDS.values(), ROLLBACK_IDS]:
        for item_id in ids:
            owner = "post_deploy" if item_id in WATCHED_OVER_THE_HOUR else "smoke"
            assert catalogue.item(item_id).role == owner, item_id


def test_the_rollback_checks_are_deploy_checks():
    assert set(ROLLBACK_CHECKS) <= set(CHECKS)
