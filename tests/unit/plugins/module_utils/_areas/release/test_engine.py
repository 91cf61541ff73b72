"""Unit tests of the release module_utils: helm comparisons, pending recovery, lock state, migration Jobs, diffs."""

from __future__ import annotations

import datetime
import json
import os
import stat

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import diagnostics, lock, migration
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import helm
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kube_diff as live_diff
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    CheckFailed,
    ConfigurationError,
    LockHeld,
)

MANIFEST = """---
# Source: x/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - {name: web, image: "reg/web:v1"}
        - {name: side, image: "reg/side:v2"}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate: {}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
"""


def release(manifest=MANIFEST, config=None, status="deployed", version=1, chart=("x", "1.0.0")):
    return {
        "name": "r",
        "namespace": "ns",
        "version": version,
        "info": {"status": status},
        "chart": {"metadata": {"name": chart[0], "version": chart[1], "appVersion": "1"}},
        "config": config or {"image": {"tag": "v1"}},
        "manifest": manifest,
    }


# -- helm -----------------------------------------------------------------------------------
def test_identical_release_has_no_changes():
    assert helm.release_changes(release(), release()) == []


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
    assert helm.release_changes(live, release()) == expected


def test_status_without_chart_takes_it_from_the_history():
    live = release()
    del live["chart"]
    history = [{"revision": 1, "chart": "x-1.0.0", "app_version": "1", "status": "deployed"}]
    assert helm.release_changes(helm.with_chart(live, history), release()) == []
    assert helm.release_changes(live, release()) == ["chart", "app_version"]


def test_images_of_a_manifest():
    assert helm.images(MANIFEST) == ["reg/web:v1", "reg/side:v2"]


HISTORY = [
    {"revision": 1, "status": "superseded"},
    {"revision": 2, "status": "superseded"},
    {"revision": 3, "status": "failed"},
    {"revision": 4, "status": "deployed"},
]


def test_previous_good_revision_skips_failed_ones():
    assert helm.previous_good_revision(HISTORY, 4) == 2
    assert helm.previous_good_revision(HISTORY, 1) is None


def test_revisions_rolled_back_from_are_the_ones_before_a_rollback():
    history = [
        {"revision": 1, "status": "superseded", "description": "Install complete"},
        {"revision": 2, "status": "superseded", "description": "Upgrade complete"},
        {"revision": 3, "status": "superseded", "description": "Upgrade complete"},
        {"revision": 4, "status": "deployed", "description": "Rollback to 2"},
    ]
    assert helm.rolled_back_from(history) == {3}
    assert helm.rolled_back_from(history[:3]) == set()


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


def test_pending_plan_rolls_back_to_the_last_deployed_revision():
    history = [*HISTORY, {"revision": 5, "status": "pending-upgrade"}]
    assert helm.pending_plan(history, "rollback") == {
        "status": "pending-upgrade",
        "revision": 5,
        "target": 4,
        "action": "rollback",
    }
    assert helm.pending_plan(HISTORY, "rollback") is None


def test_pending_plan_fail_says_how_to_recover():
    history = [*HISTORY, {"revision": 5, "status": "pending-rollback"}]
    with pytest.raises(CheckFailed, match="stuck in pending-rollback at revision 5.*helm rollback <release> 4"):
        helm.pending_plan(history, "fail")


def test_pending_install_without_deployed_revision_cannot_be_rolled_back():
    with pytest.raises(CheckFailed, match="no earlier deployed revision.*helm uninstall"):
        helm.pending_plan([{"revision": 1, "status": "pending-install"}], "rollback")


def test_release_spec_rejects_bad_input(tmp_path):
    chart = tmp_path / "chart"
    chart.mkdir()
    good = {"name": "r", "namespace": "ns", "chart": str(chart)}
    helm.ReleaseSpec(**good).validate()
    with pytest.raises(ConfigurationError, match="53"):
        helm.ReleaseSpec(**{**good, "name": "x" * 54}).validate()
    with pytest.raises(ConfigurationError, match="does not exist"):
        helm.ReleaseSpec(**{**good, "chart": str(tmp_path / "missing")}).validate()
    with pytest.raises(ConfigurationError, match="empty"):
        helm.ReleaseSpec(**good, set_values={"backend.image.tag": ""}).validate()
    with pytest.raises(ConfigurationError, match="values file"):
        helm.ReleaseSpec(**good, values_files=[str(tmp_path / "nope.yaml")]).validate()
    helm.ReleaseSpec(**{**good, "chart": "oci://registry/charts/x"}).validate()


def fake_helm(tmp_path, script):
    path = tmp_path / "helm"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_helm_passes_connection_options_and_values(tmp_path):
    log = tmp_path / "args"
    binary = fake_helm(tmp_path, f'echo "$@" > {log}\necho \'{{"version": 3}}\'\n')
    client = helm.Helm(binary, kubeconfig="/k/config", context="lab")
    chart = tmp_path / "chart"
    chart.mkdir()
    spec = helm.ReleaseSpec(
        "r", "ns", str(chart), values={"a": 1}, set_values={"backend.image.tag": "v2"}, timeout=30, history_max=5
    )
    assert client.upgrade(spec) == {"version": 3}
    args = log.read_text()
    for part in (
        "upgrade r",
        "--install -n ns",
        "--set-string backend.image.tag=v2",
        "--timeout 30s",
        "--history-max 5",
        "--atomic",
        "--wait",
        "--kubeconfig /k/config --kube-context lab",
    ):
        assert part in args
    inline = args.split("--values ")[1].split()[0]
    assert not os.path.exists(inline), "the inline values file was left behind"


def test_helm_failure_carries_its_error(tmp_path):
    binary = fake_helm(tmp_path, 'echo "Error: UPGRADE FAILED: context deadline exceeded" >&2\nexit 1\n')
    with pytest.raises(helm.HelmCommandFailed, match="deadline exceeded") as caught:
        helm.Helm(binary).history("r", "ns")
    assert caught.value.timed_out


def test_helm_missing_release_reads_as_none(tmp_path):
    binary = fake_helm(tmp_path, 'echo "Error: release: not found" >&2\nexit 1\n')
    assert helm.Helm(binary).status("r", "ns") is None
    assert helm.Helm(binary).history("r", "ns") == []


def test_missing_helm_binary_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="not an executable"):
        helm.Helm(str(tmp_path / "no-helm"))


# -- lock -----------------------------------------------------------------------------------
NOW = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)


def test_lock_state_expiry():
    state = lock.LockState("a", NOW, NOW, 60, "1")
    assert not state.expired(NOW + datetime.timedelta(seconds=59))
    assert state.expired(NOW + datetime.timedelta(seconds=60))
    assert lock.LockState("a", None, None, 60, "1").expired(NOW)


def test_micro_time_has_six_fraction_digits():
    assert lock.micro_time(NOW) == "2026-01-01T12:00:00.000000Z"
    assert lock.parse_time("2026-01-01T12:00:00.000000Z") == NOW


class FakeKube:
    """Answers kube_rest requests from a dict of path -> object."""

    def __init__(self, objects=None):
        self.objects = dict(objects or {})
        self.requests = []
        self.timeout = 5
        self.server = "https://fake"

    def call(self, what, fn, *args, **kwargs):
        _kube, method, path, body, _query, _ctype = args[:6]
        self.requests.append((method, path))
        from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError

        class Cause(Exception):
            def __init__(self, status):
                self.status = status

        def fail(status):
            try:
                raise Cause(status)
            except Cause as cause:
                raise ApiError(f"{what}: {status}") from cause

        if method == "GET":
            if path not in self.objects:
                fail(404)
            return json.loads(json.dumps(self.objects[path]))
        if method == "POST":
            name = body["metadata"]["name"]
            key = f"{path}/{name}"
            if key in self.objects:
                fail(409)
            self.objects[key] = {**body, "metadata": {**body["metadata"], "resourceVersion": "1"}}
            return self.objects[key]
        if method == "PUT":
            if self.objects[path]["metadata"]["resourceVersion"] != body["metadata"]["resourceVersion"]:
                fail(409)
            self.objects[path] = {**body, "metadata": {**body["metadata"], "resourceVersion": "2"}}
            return self.objects[path]
        if method == "DELETE":
            self.objects.pop(path)
            return {}
        if method == "PATCH":
            self.objects[path]["metadata"].setdefault("labels", {}).update(body["metadata"]["labels"])
            return self.objects[path]
        raise AssertionError(method)


LEASE = "/apis/coordination.k8s.io/v1/namespaces/ns/leases/r-deploy-lock"


def lease(holder, renewed, duration=600):
    return {
        "metadata": {"name": "r-deploy-lock", "resourceVersion": "7"},
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": duration,
            "acquireTime": lock.micro_time(renewed),
            "renewTime": lock.micro_time(renewed),
        },
    }


def test_lock_is_taken_and_given_back():
    kube = FakeKube({"/api/v1/namespaces/ns": {"metadata": {"name": "ns"}}})
    deploy_lock = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 600)
    taken = deploy_lock.acquire()
    assert taken["changed"] and kube.objects[LEASE]["spec"]["holderIdentity"] == "me"
    assert deploy_lock.release()["changed"]
    assert LEASE not in kube.objects


def test_lock_held_by_another_run_fails_naming_it():
    now = datetime.datetime.now(datetime.UTC)
    kube = FakeKube({LEASE: lease("ci@runner-7 pid=4", now)})
    with pytest.raises(LockHeld, match="held by 'ci@runner-7 pid=4'"):
        lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 600).acquire()
    check = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 600).acquire(check_mode=True)
    assert not check["changed"] and "held by" in check["warnings"][0]
    assert kube.objects[LEASE]["spec"]["holderIdentity"] == "ci@runner-7 pid=4"


def test_expired_lock_is_taken_over_with_a_warning():
    kube = FakeKube({LEASE: lease("dead", NOW - datetime.timedelta(days=1), 60)})
    result = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 600).acquire()
    assert result["taken_over_from"]["holder"] == "dead"
    assert "took over the expired deployment lock" in result["warnings"][0]
    assert ("PUT", LEASE) in kube.requests


def test_lock_of_someone_else_is_not_released():
    now = datetime.datetime.now(datetime.UTC)
    kube = FakeKube({LEASE: lease("other", now)})
    result = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 600).release()
    assert not result["changed"] and "left in place" in result["warnings"][0]
    assert LEASE in kube.objects


def test_namespace_labels_are_merged_once():
    kube = FakeKube({"/api/v1/namespaces/ns": {"metadata": {"name": "ns", "labels": {"team": "a"}}}})
    deploy_lock = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 600)
    labels = {"pod-security.kubernetes.io/enforce": "restricted"}
    check = deploy_lock.label_namespace(labels, check_mode=True)
    assert check["changed"]
    assert "pod-security" not in json.dumps(kube.objects), "check mode labelled the namespace"
    assert deploy_lock.label_namespace(labels)["changed"]
    assert not deploy_lock.label_namespace(labels)["changed"]
    assert kube.objects["/api/v1/namespaces/ns"]["metadata"]["labels"] == {"team": "a", **labels}


# -- migration ------------------------------------------------------------------------------
def spec(**kwargs):
    base = {"release": "r", "namespace": "ns", "action": "run", "image": "reg/b:v1", "command": ["npm", "run", "m"]}
    return migration.MigrationSpec(**{**base, **kwargs})


def test_job_name_is_stable_per_image_command_and_key():
    assert spec().job_name == spec().job_name
    assert spec().job_name != spec(image="reg/b:v2").job_name
    assert spec().job_name != spec(run_key="x").job_name
    assert spec().job_name.startswith("r-migration-run-")
    assert len(spec(release="x" * 60).job_name) <= 63


def test_job_meets_pod_security_restricted():
    job = spec(env_from=[{"secretRef": {"name": "s"}}]).job()
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert (
        pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    )
    sc = container["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"] == {"drop": ["ALL"]}
    assert container["envFrom"] == [{"secretRef": {"name": "s"}}]
    assert job["spec"]["backoffLimit"] == 0 and pod["restartPolicy"] == "Never"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"image": "reg/b"}, "tag or digest"), ({"command": []}, "non-empty"), ({"action": "Run It"}, "lower-case")],
)
def test_migration_spec_rejects_bad_input(kwargs, message):
    with pytest.raises(ConfigurationError, match=message):
        spec(**kwargs).validate()


def test_job_outcome():
    assert migration.outcome({"status": {"conditions": [{"type": "Complete", "status": "True"}]}}) == "succeeded"
    assert migration.outcome({"status": {"conditions": [{"type": "Failed", "status": "True"}]}}) == "failed"
    assert migration.outcome({"status": {}}) == "running"


# -- diff and diagnostics -------------------------------------------------------------------
def test_normalise_hides_secret_values_and_server_fields():
    obj = {
        "kind": "Secret",
        "metadata": {"name": "s", "uid": "u", "resourceVersion": "9", "managedFields": [{}]},
        "data": {"JWT_SECRET": "c2VjcmV0"},
        "status": {},
    }
    out = live_diff.normalise(obj)
    assert out == {"kind": "Secret", "metadata": {"name": "s"}, "data": {"JWT_SECRET": live_diff.HIDDEN}}
    after = live_diff.normalise({**obj, "data": {"JWT_SECRET": "b3RoZXI="}})
    live_diff.hide_secret_values(out, after, obj, {**obj, "data": {"JWT_SECRET": "b3RoZXI="}})
    assert after["data"]["JWT_SECRET"] == live_diff.HIDDEN_CHANGED
    assert "c2VjcmV0" not in json.dumps([out, after])


def test_values_diff_masks_secret_looking_values():
    def redact(values):
        from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import Redactor, secret_strings

        return Redactor(secret_strings(values)).data(values)

    entry = live_diff.values_diff({"db": {"password": "hunter22"}}, {"db": {"password": "hunter33"}}, redact)
    assert "hunter" not in json.dumps(entry)
    assert live_diff.values_diff({"a": 1}, {"a": 1}, redact) is None


def test_diagnostics_summary_names_unready_and_gone_pods():
    pod = {
        "metadata": {"name": "web-1", "ownerReferences": [{"kind": "ReplicaSet", "name": "web-x"}]},
        "spec": {"containers": [{"image": "reg/web:v2-unready"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
            "containerStatuses": [
                {
                    "name": "web",
                    "image": "reg/web:v2-unready",
                    "ready": False,
                    "restartCount": 2,
                    "state": {"running": {}},
                }
            ],
        },
    }
    described = diagnostics.describe_pod(pod)
    assert described["owner"] == "ReplicaSet/web-x" and described["containers"][0]["restart_count"] == 2
    diag = {
        "pods": [{**described, "gone": True}],
        "events": [{"type": "Warning", "object": "Pod/web-1", "reason": "Unhealthy", "message": "probe failed"}],
        "helm_history": [{"revision": 3, "status": "failed"}, {"revision": 4, "status": "deployed"}],
    }
    text = diagnostics.summary(diag)
    assert "1 of 1 pod(s) not Ready: web-1 Running Ready=False (gone)" in text
    assert "Unhealthy: probe failed" in text and "4 deployed" in text


def test_diagnostics_file_lands_in_the_report_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SMEPLATFORM_EVIDENCE_JOURNAL", str(tmp_path / "journal.jsonl"))
    assert diagnostics.default_dir() == str(tmp_path)
    path = diagnostics.write({"pods": []}, str(tmp_path), "ns/r")
    assert os.path.dirname(path) == str(tmp_path) and "ns_r" in path
