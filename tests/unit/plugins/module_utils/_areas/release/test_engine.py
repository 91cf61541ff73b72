"""The release engine: rollback targets from the release history."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import engine
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    CheckFailed,
)

from ...helm_fakes import MANIFEST, release

# -- helm -----------------------------------------------------------------------------------


class HistoryHelm:
    """helm's history, status and manifests of a release whose revision N runs image tag vN's content."""

    def __init__(self, tags):
        self.history_rows = [
            {
                "revision": n,
                "status": "deployed" if n == len(tags) else "superseded",
                "description": description,
                "chart": "x-1.0.0",
                "app_version": "1",
            }
            for n, (_tag, description) in enumerate(tags, start=1)
        ]
        self.tags = {n: tag for n, (tag, _d) in enumerate(tags, start=1)}

    def history(self, _name, _namespace):
        return self.history_rows

    def manifest(self, _name, _namespace, revision=None):
        return MANIFEST.replace("web:v1", f"web:{self.tags[revision or len(self.tags)]}")

    def status(self, name, namespace):
        return release(manifest=self.manifest(name, namespace), version=len(self.tags))


@pytest.mark.parametrize(
    ("tags", "target"),
    [
        # a bad v1.1 rolled back by the gate, then a rollback again: back to v1.0, never to v1.1
        ([("v1.0", "Install complete"), ("v1.1", "Upgrade complete"), ("v1.0", "Rollback to 1")], None),
        # twice back from v1.2: v1.1 first (revision 4), then v1.0, not forward to v1.2 again
        (
            [("v1.0", "Install"), ("v1.1", "Upgrade"), ("v1.2", "Upgrade"), ("v1.1", "Rollback to 2")],
            1,
        ),
        ([("v1.0", "Install"), ("v1.1", "Upgrade"), ("v1.2", "Upgrade")], 2),
        # v1.0 was abandoned at revision 3 after it ran at revision 1: revision 1 is no way back either
        ([("v1.0", "Install"), ("v1.1", "Upgrade"), ("v1.0", "Upgrade"), ("v1.1", "Rollback to 2")], None),
        # v1.1 abandoned at revision 2, fixed and deployed again at revision 4: that later run counts
        (
            [("v1.0", "Install"), ("v1.1", "Upgrade"), ("v1.0", "Rollback to 1"), ("v1.1", "Upgrade"), ("v1.2", "U")],
            4,
        ),
    ],
)
def test_rollback_to_previous_skips_revisions_rolled_back_from(tags, target):
    from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release.engine import ReleaseEngine

    engine = ReleaseEngine(HistoryHelm(tags), lambda: None, check_mode=True)
    if target is None:
        with pytest.raises(CheckFailed, match="nothing to roll back to"):
            engine.rolled_back("r", "ns", 0, 60, 10)
    else:
        assert engine.rolled_back("r", "ns", 0, 60, 10)["target_revision"] == target


def test_older_images_are_read_per_revision_and_a_pruned_one_is_left_out():
    from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release.engine import ReleaseEngine
    from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.helm import HelmCommandFailed

    class Pruning(HistoryHelm):
        def manifest(self, name, namespace, revision=None):
            if revision == 1:  # helm pruned it (history_max) since its history was read
                raise HelmCommandFailed("helm manifest failed: Error: release: not found")
            return super().manifest(name, namespace, revision)

    helm = Pruning([("v1.0", "Install"), ("v1.1", "Upgrade"), ("v1.2", "Upgrade")])
    engine = ReleaseEngine(helm, lambda: None, check_mode=True)
    engine._history = helm.history("r", "ns")
    assert engine.older_images("r", "ns", 3) == {2: ["reg/web:v1.1", "reg/side:v2"]}


WORKLOADS = """
apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
"""


def test_server_dry_run_sends_each_workload_and_names_warnings_and_refusals(monkeypatch):
    sent = []

    def dry_run(kube, obj, namespace):
        sent.append(obj["metadata"]["name"])
        if obj["metadata"]["name"] == "web":
            return {"warnings": ['would violate PodSecurity "restricted:latest": privileged', "other"], "refused": ""}
        return {"warnings": [], "refused": "422 Unprocessable Entity: spec.template is invalid"}

    monkeypatch.setattr(k8s, "dry_run_apply", dry_run)
    eng = engine.ReleaseEngine(helm_client=None, kube_factory=object, check_mode=True)
    warned, rejected = eng.server_dry_run(WORKLOADS, "ns")
    assert sent == ["web", "worker"]  # the Service has no pod template
    assert warned == ['Deployment ns/web: would violate PodSecurity "restricted:latest": privileged']
    assert rejected == ["the API refuses Deployment ns/worker: 422 Unprocessable Entity: spec.template is invalid"]


def test_server_dry_run_in_an_absent_namespace_finds_nothing(monkeypatch):
    monkeypatch.setattr(k8s, "dry_run_apply", lambda kube, obj, namespace: None)
    eng = engine.ReleaseEngine(helm_client=None, kube_factory=object, check_mode=True)
    assert eng.server_dry_run(WORKLOADS, "ns") == ([], [])
