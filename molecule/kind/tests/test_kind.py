"""Verify the kind cluster after converge, idempotence and the side effect.

What is measured on the live cluster: the release's newest revision is deployed
and runs the converged images (the side effect's -faulty and -unready builds
were rolled back), the migration table in PostgreSQL holds the platform's last
migration, and the backup volume holds the dump the converge's report names,
with the same size. What the runs' reports say: the converge was GO with the
migration Job's log lines and a real dump; the side effect's restore drill
restored every table with its rows; the -faulty run failed its smoke gate and was rolled back; the -unready
run failed because the readiness probe answered 503, and was rolled back.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from pathlib import Path

import pytest

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
LAB = Path(os.environ.get("SMEPLATFORM_LAB_DIR", PROJECT / ".lab"))
KIND = LAB / "kind"
KUBECTL = f"{KIND / 'bin' / 'kubectl'} --kubeconfig {KIND / 'kubeconfig'} --context kind-smeplatform-lab"
HELM = f"{KIND / 'bin' / 'helm'} --kubeconfig {KIND / 'kubeconfig'} --kube-context kind-smeplatform-lab"
NAMESPACE = "sme-platform"
LAST_MIGRATION = "CreatePayments1700000200000"
SIDE_EFFECT = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "side_effect.json"


def run(host, cmd: str) -> str:
    out = host.run(cmd)
    assert out.rc == 0, f"{cmd}: {out.stderr}"
    return out.stdout


def kubectl_json(host, args: str) -> dict:
    return json.loads(run(host, f"{KUBECTL} {args} -o json"))


def items(report: dict) -> dict[str, dict]:
    return {item["id"]: item for item in report.get("items", [])}


def migration_log(report: dict) -> list[str]:
    evidence = items(report)["deploy.4"]["evidence"]
    measured = [e["measured"] for e in evidence if isinstance(e.get("measured"), dict)]
    return [line for m in measured for lines in m.get("log", {}).values() for line in lines]


@pytest.fixture(scope="module")
def converge_report() -> dict:
    """The newest GO report of a whole deploy run that ran the migrations: the converge's (the idempotence run
    finds the migration Job done and shows no log lines)."""
    for path in sorted((PROJECT / "reports").glob("kind-*.json"), reverse=True):
        report = json.loads(path.read_text())
        if report["scope"].get("name") == "deploy" and report["verdict"]["decision"] == "GO" and migration_log(report):
            return report
    pytest.fail("no GO report of playbooks/deploy.yml with inventories/kind that ran the migrations in reports/")


@pytest.fixture(scope="module")
def drill_report() -> dict:
    """The report of the side effect's restore drill: the newest report holding 10.1.3, written after the side
    effect's deploys (side_effect.json), so never an older run's."""
    since = SIDE_EFFECT.stat().st_mtime
    reports = sorted((PROJECT / "reports").glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in reports:
        if path.stat().st_mtime < since:
            break
        report = json.loads(path.read_text())
        if isinstance(report, dict) and "10.1.3" in items(report):
            return report
    pytest.fail(f"no report holding the restore drill (10.1.3) in reports/ newer than {SIDE_EFFECT}")


def drill_tables(report: dict) -> dict[str, dict]:
    """The drill's per-table row counts, {table: {source, restored}}, from 10.1.3's evidence."""
    for entry in items(report)["10.1.3"]["evidence"]:
        measured = entry.get("measured")
        if isinstance(measured, dict) and isinstance(measured.get("tables"), dict):
            return measured["tables"]
    pytest.fail(f"10.1.3 carries no per-table counts: {items(report)['10.1.3']}")


@pytest.fixture(scope="module")
def side_effect_reports() -> dict[str, dict]:
    names = json.loads(SIDE_EFFECT.read_text())
    return {tag: json.loads(Path(path).read_text()) for tag, path in names.items()}


def test_newest_revision_is_deployed_with_the_converged_images(host):
    history = json.loads(run(host, f"{HELM} history sme-platform -n {NAMESPACE} -o json"))
    assert history[-1]["status"] == "deployed", history
    # converge, then the -faulty and the -unready upgrades, each followed by its rollback
    assert len(history) >= 5, history
    assert [h for h in history if h["status"] == "deployed"] == [history[-1]]
    for name in ("sme-platform-backend", "sme-platform-frontend"):
        deployment = kubectl_json(host, f"-n {NAMESPACE} get deployment {name}")
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image.endswith(":v1.0.0"), image
        assert deployment["status"].get("availableReplicas") == deployment["spec"]["replicas"], name
    # the rolled-back build's pods are scaled away, but may still be terminating (their grace period) for a while
    deadline = time.monotonic() + 90
    while True:
        pods = kubectl_json(host, f"-n {NAMESPACE} get pods -l app.kubernetes.io/instance=sme-platform")["items"]
        running = [p for p in pods if p["status"]["phase"] == "Running"]
        images = {c["image"] for p in running for c in p["spec"]["containers"]}
        if all(i.endswith(":v1.0.0") for i in images) or time.monotonic() > deadline:
            break
        time.sleep(2)
    terminating = sorted(p["metadata"]["name"] for p in running if p["metadata"].get("deletionTimestamp"))
    assert images and all(i.endswith(":v1.0.0") for i in images), (images, terminating)


def test_migration_table_holds_the_last_migration(host):
    query = "SELECT name FROM migrations ORDER BY timestamp DESC LIMIT 1"
    out = run(
        host,
        f"{KUBECTL} -n sme-platform-db exec deploy/postgres -- psql -h /tmp -U postgres -d sme_platform -Atc "
        + shlex.quote(query),
    )
    assert out.strip() == LAST_MIGRATION


def test_converge_report_shows_migration_logs_dump_and_restore_drill(converge_report):
    found = items(converge_report)
    assert found["deploy.4"]["status"] == "passed"
    assert f"Migration {LAST_MIGRATION} has been executed successfully." in migration_log(converge_report)
    dump = found["4.1.3"]["evidence"][0]["measured"]["dump"]
    assert dump["bytes"] > 0 and dump["toc_entries"] > 0, dump


def test_restore_drill_restored_every_table_with_its_rows(drill_report):
    found = items(drill_report)
    assert {found[i]["status"] for i in ("9.1.4", "9.2.2", "10.1.3")} == {"passed"}, found
    tables = drill_tables(drill_report)
    for table in ("public.customers", "public.invoices", "public.payments", "public.migrations"):
        assert tables[table]["restored"] == tables[table]["source"], tables
    # the DBA's 7 customers (prepare) and the platform's 3 migrations (converge), counted in the restored copy
    assert tables["public.customers"]["restored"] == 7, tables
    assert tables["public.migrations"]["restored"] == 3, tables


def test_backup_volume_holds_the_reported_dump(host, converge_report):
    dump = items(converge_report)["4.1.3"]["evidence"][0]["measured"]["dump"]
    image = "smeplatform.lab/postgres:15-bookworm"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "verify-backups", "namespace": NAMESPACE},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "ls",
                    "image": image,
                    "imagePullPolicy": "Never",
                    "command": ["sleep", "300"],
                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                    "volumeMounts": [{"name": "backups", "mountPath": "/backups", "readOnly": True}],
                }
            ],
            "volumes": [{"name": "backups", "persistentVolumeClaim": {"claimName": "sme-platform-backups"}}],
        },
    }
    run(host, f"echo {shlex.quote(json.dumps(pod))} | {KUBECTL} apply -f -")
    try:
        run(host, f"{KUBECTL} -n {NAMESPACE} wait --for=condition=Ready pod/verify-backups --timeout=120s")
        size = run(host, f"{KUBECTL} -n {NAMESPACE} exec verify-backups -- stat -c %s {shlex.quote(dump['file'])}")
        assert int(size) == dump["bytes"] > 0
    finally:
        host.run(f"{KUBECTL} -n {NAMESPACE} delete pod verify-backups --wait=false")


def test_faulty_build_failed_its_smoke_gate_and_was_rolled_back(side_effect_reports):
    report = side_effect_reports["v1.1.0-faulty"]
    assert report["verdict"]["decision"] == "NO-GO"
    found = items(report)
    assert found["deploy.3"]["status"] == "failed"
    assert "smoke" in json.dumps(found["deploy.3"]["evidence"]).lower()
    assert found["rollback.1"]["status"] == "passed", found["rollback.1"]
    assert found["8.1.4"]["status"] == "passed", found["8.1.4"]


def test_unready_build_failed_its_readiness_probe_and_was_rolled_back(side_effect_reports):
    report = side_effect_reports["v1.1.0-unready"]
    assert report["verdict"]["decision"] == "NO-GO"
    found = items(report)
    assert found["deploy.3"]["status"] == "failed"
    evidence = json.dumps(found["deploy.3"]["evidence"])
    assert "Readiness probe failed" in evidence and "503" in evidence, evidence[:2000]
    assert found["rollback.1"]["status"] == "passed", found["rollback.1"]
