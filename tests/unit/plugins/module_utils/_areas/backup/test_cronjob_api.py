"""The backup CronJob against the API (plain JSON): dry run in check mode, updates only on a difference, a manual Job
from the live template, the dump report of the newest succeeded pod, and the newest deployed Helm record."""

import base64
import gzip
import json

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import cronjob, export

from ...kube_fakes import JsonKube
from .test_cronjob import SPEC

CRONJOBS = "/apis/batch/v1/namespaces/sme/cronjobs"
ONE = f"{CRONJOBS}/db-backup"


def writes(kube):
    return [(method, path, query) for method, path, query, _body in kube.requests if method != "GET"]


def test_a_missing_cronjob_is_created_by_a_dry_run_in_check_mode_and_for_real_otherwise():
    created = {}
    kube = JsonKube({("POST", CRONJOBS): lambda body, query: created.setdefault(query.get("dryRun", "real"), body)})
    outcome = cronjob.ensure_cronjob(kube, SPEC, check_mode=True)
    assert outcome["changed"] and outcome["action"] == "create"
    assert writes(kube) == [("POST", CRONJOBS, {"dryRun": "All"})]
    outcome = cronjob.ensure_cronjob(kube, SPEC, check_mode=False)
    assert writes(kube)[-1] == ("POST", CRONJOBS, {})
    assert created["real"]["spec"]["schedule"] == "0 2 * * *"


def test_an_unchanged_cronjob_is_not_written_and_a_changed_one_is_replaced_keeping_its_version():
    live = json.loads(json.dumps(cronjob.desired_cronjob(SPEC)))
    live["metadata"].update(resourceVersion="7", uid="u1")
    live["spec"]["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"] = "ClusterFirst"  # a server default
    kube = JsonKube({ONE: live, ("PUT", ONE): lambda body, query: body})
    assert cronjob.ensure_cronjob(kube, SPEC, check_mode=False)["changed"] is False
    assert writes(kube) == []
    live["spec"]["schedule"] = "0 3 * * *"
    outcome = cronjob.ensure_cronjob(kube, SPEC, check_mode=False)
    assert outcome["changed"] and outcome["paths"] == ["spec.schedule"]
    assert outcome["before"]["spec"]["schedule"] == "0 3 * * *"
    (_method, _path, _query, body) = kube.requests[-1]
    assert body["metadata"]["resourceVersion"] == "7" and body["spec"]["schedule"] == "0 2 * * *"


def test_a_stale_backup_starts_a_job_owned_by_the_cronjob():
    live = cronjob.desired_cronjob(SPEC)
    live["metadata"]["uid"] = "u1"
    live["status"] = {"lastSuccessfulTime": "2020-01-01T02:00:00Z"}
    jobs = {}
    kube = JsonKube({ONE: live, ("POST", "/apis/batch/v1/namespaces/sme/jobs"): lambda b, q: jobs.update(b=b, q=q)})
    assert cronjob.backup_is_stale(kube, "db-backup", "sme", 26 * 3600)
    name = cronjob.run_now(kube, "db-backup", "sme", check_mode=True)
    assert name.startswith("db-backup-manual-") and jobs["q"] == {"dryRun": "All"}
    owner = jobs["b"]["metadata"]["ownerReferences"][0]
    assert owner == {**owner, "kind": "CronJob", "name": "db-backup", "uid": "u1", "controller": True}
    assert jobs["b"]["spec"]["template"]["spec"]["containers"][0]["name"] == "backup"
    live["status"] = {"active": [{"name": "x"}], "lastSuccessfulTime": "2020-01-01T02:00:00Z"}
    assert not cronjob.backup_is_stale(kube, "db-backup", "sme", 26 * 3600)  # one is running now


def _pod(name, created, phase, message=None):
    state = {"terminated": {"message": message}} if message else {}
    return {
        "metadata": {"name": name, "creationTimestamp": created},
        "status": {"phase": phase, "containerStatuses": [{"name": "backup", "state": state}]},
    }


def test_the_report_is_the_newest_succeeded_pods_termination_message():
    pods = [
        _pod("a", "2026-01-01T02:00:00Z", "Succeeded", "old"),
        _pod("b", "2026-01-01T02:05:00Z", "Succeeded", "new"),
        _pod("c", "2026-01-01T02:09:00Z", "Failed", "broken"),
    ]
    kube = JsonKube({"/api/v1/namespaces/sme/pods": {"items": pods}})
    assert cronjob.job_report(kube, "j", "sme") == "new"
    assert kube.requests[-1][2] == {"labelSelector": "job-name=j"}
    assert cronjob.job_report(JsonKube({"/api/v1/namespaces/sme/pods": {"items": []}}), "j", "sme") is None


def _record(version, status):
    release = {"name": "web", "version": version, "info": {"status": status}, "manifest": ""}
    raw = base64.b64encode(gzip.compress(json.dumps(release).encode()))
    return {
        "metadata": {
            "name": f"sh.helm.release.v1.web.v{version}",
            "labels": {"version": str(version), "status": status},
        },
        "type": "helm.sh/release.v1",
        "data": {"release": base64.b64encode(raw).decode()},
    }


def test_the_export_reads_the_newest_deployed_record_and_only_key_names():
    records = [_record(3, "superseded"), _record(4, "deployed"), _record(5, "failed")]
    kube = JsonKube({"/api/v1/namespaces/sme/secrets": {"items": records}})
    assert export.read_release(kube, "web", "sme")["version"] == 4
    assert kube.requests[-1][2] == {"labelSelector": "owner=helm,name=web"}
    app = {"metadata": {"name": "app"}, "type": "Opaque", "data": {"JWT_SECRET": "c2VjcmV0"}}
    kube = JsonKube({"/api/v1/namespaces/sme/secrets": {"items": [*records, app]}})
    assert export.read_secret_keys(kube, "sme") == [{"name": "app", "type": "Opaque", "keys": ["JWT_SECRET"]}]
