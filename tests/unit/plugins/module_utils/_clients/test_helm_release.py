"""Helm releases as data: what differs between two releases, the history's revisions, a stuck release's plan."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import helm_release
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import CheckFailed

from ..helm_fakes import MANIFEST, release


def test_identical_release_has_no_changes():
    assert helm_release.release_changes(release(), release()) == []


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        (None, ["release does not exist"]),
        (release(config={"image": {"tag": "v0"}}), ["config"]),
        (release(manifest=MANIFEST.replace("web:v1", "web:v0")), ["manifest"]),
        (release(chart=("x", "0.9.0")), ["chart"]),
        (release(status="failed"), ["last revision is failed"]),
    ],
)
def test_release_changes_name_what_differs(live, expected):
    assert helm_release.release_changes(live, release()) == expected


def test_status_without_chart_takes_it_from_the_history():
    live = release()
    del live["chart"]
    history = [{"revision": 1, "chart": "x-1.0.0", "app_version": "1", "status": "deployed"}]
    assert helm_release.release_changes(helm_release.with_chart(live, history), release()) == []
    assert helm_release.release_changes(live, release()) == ["chart", "app_version"]


def test_images_of_a_manifest():
    assert helm_release.images(MANIFEST) == ["reg/web:v1", "reg/side:v2"]


HISTORY = [
    {"revision": 1, "status": "superseded"},
    {"revision": 2, "status": "superseded"},
    {"revision": 3, "status": "failed"},
    {"revision": 4, "status": "deployed"},
]


def test_previous_good_revision_skips_failed_ones():
    assert helm_release.previous_good_revision(HISTORY, 4) == 2
    assert helm_release.previous_good_revision(HISTORY, 1) is None


def test_revisions_rolled_back_from_are_the_ones_before_a_rollback():
    history = [
        {"revision": 1, "status": "superseded", "description": "Install complete"},
        {"revision": 2, "status": "superseded", "description": "Upgrade complete"},
        {"revision": 3, "status": "superseded", "description": "Upgrade complete"},
        {"revision": 4, "status": "deployed", "description": "Rollback to 2"},
    ]
    assert helm_release.rolled_back_from(history) == {3}
    assert helm_release.rolled_back_from(history[:3]) == set()


def test_pending_plan_rolls_back_to_the_last_deployed_revision():
    history = [*HISTORY, {"revision": 5, "status": "pending-upgrade"}]
    assert helm_release.pending_plan(history, "rollback") == {
        "status": "pending-upgrade",
        "revision": 5,
        "target": 4,
        "action": "rollback",
    }
    assert helm_release.pending_plan(HISTORY, "rollback") is None


def test_pending_plan_fail_says_how_to_recover():
    history = [*HISTORY, {"revision": 5, "status": "pending-rollback"}]
    with pytest.raises(CheckFailed, match="stuck in pending-rollback at revision 5.*helm rollback <release> 4"):
        helm_release.pending_plan(history, "fail")


def test_pending_install_without_deployed_revision_cannot_be_rolled_back():
    with pytest.raises(CheckFailed, match="no earlier deployed revision.*helm uninstall"):
        helm_release.pending_plan([{"revision": 1, "status": "pending-install"}], "rollback")


# The fields of a release spec besides name, namespace and chart, as helm_release's option table fills them in.
