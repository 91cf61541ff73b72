"""The release role and the deploy/rollback playbooks against the lab cluster.

The tests run in file order on one release: check mode, first deploy, idempotence, check --diff, new tag,
a concurrent run refused while an unready release is rolled back by helm, a faulty release rolled back by
the role, an expired lock taken over, a stuck release recovered, the rollback playbook with the migration
revert, bad input. They need the Kubernetes lab (tests/lab/k8s/lab.sh up) and helm on PATH (lab.sh env).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from release_lab_support import HERE, NAMESPACE, RELEASE, ROOT, evidence, recap_changed, report

pytestmark = pytest.mark.lab

REGISTRY = "127.0.0.1:15450"
DUMMY_SECRET = "release-it-jwt-not-a-secret"  # noqa: S105 - the test Secret's throw-away value


def image(tag: str) -> str:
    return f"{REGISTRY}/sme-platform/backend:{tag}"


def leases(lab) -> list[str]:
    return [i["metadata"]["name"] for i in lab.kubectl_json("get", "leases")["items"]]


def jobs(lab) -> list[str]:
    return sorted(i["metadata"]["name"] for i in lab.kubectl_json("get", "jobs")["items"])


def no_secret_in(proc) -> None:
    import base64

    text = proc.stdout + proc.stderr
    for form in (DUMMY_SECRET, base64.b64encode(DUMMY_SECRET.encode()).decode(), DUMMY_SECRET.encode().hex()):
        assert form not in text


def test_check_mode_first_deploy_creates_nothing(lab):
    proc = lab.deploy("v1.0.0", "--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert lab.history() == []
    ns = lab.run("kubectl", "get", "namespace", NAMESPACE, "--ignore-not-found", "-o", "name")
    assert ns.strip() == "", "check mode created the namespace"
    assert "Deployment sme-release-it/sme-release-it-sme-platform-backend (absent)" in proc.stdout
    no_secret_in(proc)


def test_first_deploy_is_revision_1_and_a_second_run_changes_nothing(lab):
    proc = lab.deploy("v1.0.0")
    assert proc.returncode == 0, proc.stdout[-4000:]
    history = lab.history()
    assert [(h["revision"], h["status"]) for h in history] == [(1, "deployed")]
    assert lab.backend_image() == image("v1.0.0")
    # deployment step 2, in the call that found the lock free: the namespace labelled for Pod Security Admission
    labels = lab.kubectl_json("get", "namespace", NAMESPACE)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    labels = lab.kubectl_json("get", "namespace", NAMESPACE)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert leases(lab) == [], "the lock was not given back"
    assert len(jobs(lab)) == 2  # migration:run and migration:show
    rep = report(proc)
    assert [e["status"] for e in evidence(rep, "deploy.3")] == ["passed"]
    assert {e["status"] for e in evidence(rep, "deploy.4")} == {"passed"}
    # simulated nodes serve no logs: the evidence says so instead of pretending
    assert all("logs not served by the node" in e["detail"] and "405" in e["detail"] for e in evidence(rep, "deploy.4"))

    again = lab.deploy("v1.0.0")
    assert again.returncode == 0, again.stdout[-4000:]
    assert recap_changed(again) == 0, again.stdout[-4000:]
    assert len(lab.history()) == 1

    check_again = lab.deploy("v1.0.0", "--check", "--diff")
    assert check_again.returncode == 0
    assert recap_changed(check_again) == 0, check_again.stdout[-4000:]


def test_check_diff_shows_the_image_change_and_creates_nothing(lab):
    before_jobs = jobs(lab)
    proc = lab.deploy("v1.1.0", "--check", "--diff")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert f"-        image: {image('v1.0.0')}" in proc.stdout
    assert f"+        image: {image('v1.1.0')}" in proc.stdout
    assert len(lab.history()) == 1, "check mode made a revision"
    assert leases(lab) == [], "check mode took the lock"
    assert jobs(lab) == before_jobs, "check mode created a Job"
    assert lab.backend_image() == image("v1.0.0")
    no_secret_in(proc)


def test_new_tag_is_revision_2(lab):
    proc = lab.deploy("v1.1.0")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert [(h["revision"], h["status"]) for h in lab.history()] == [(1, "superseded"), (2, "deployed")]
    assert lab.backend_image() == image("v1.1.0")
    assert len(jobs(lab)) == 4  # the new image ran its migrations


LOCK_ONLY = """
- hosts: targets
  gather_facts: false
  tasks:
    - ansible.builtin.include_role: {name: smeplatform.deploy.release, tasks_from: lock}
    - ansible.builtin.wait_for: {path: "%(go)s", timeout: 60}
    - ansible.builtin.include_role: {name: smeplatform.deploy.release, tasks_from: unlock}
"""


def heartbeat_processes(before: dict[str, set[int]] | None = None) -> dict[str, set[int]]:
    """This checkout's heartbeat processes of either kind, by process id; with ``before``, only those started since
    (an earlier test's heartbeat notices its lock given back at its next renewal, a period later)."""
    # -ww: whole command lines (a heartbeat's is longer than the 80 columns ps keeps otherwise)
    out = subprocess.run(["ps", "-eww", "-o", "pid=,args="], capture_output=True, text=True, check=False).stdout
    found: dict[str, set[int]] = {"started by the lock": set(), "async module": set()}
    for line in out.splitlines():
        pid, _sep, args = line.strip().partition(" ")
        if str(ROOT) not in args:
            continue
        if "_areas/release/heartbeat.py" in args:
            found["started by the lock"].add(int(pid))
        elif "AnsiballZ_deploy_lock" in args:
            found["async module"].add(int(pid))
    return {kind: pids - (before or {}).get(kind, set()) for kind, pids in found.items()}


@pytest.mark.parametrize(("in_process", "which"), [("1", "started by the lock"), ("0", "async module")])
def test_the_heartbeat_renews_the_lock_and_ends_with_it(lab, tmp_path, in_process, which):
    """Modules run in process: the call that takes the lock starts the heartbeat. Run as module processes (another
    Python, another host, SMEPLATFORM_MODULES_IN_PROCESS=0): the role's async task does. Either renews the lock
    every third of its duration while the run holds it, and ends once it is given back."""
    go = tmp_path / "go"
    playbook = tmp_path / "lock.yml"
    playbook.write_text(LOCK_ONLY % {"go": go})
    env = {**lab.env, "SMEPLATFORM_MODULES_IN_PROCESS": in_process, "SMEPLATFORM_REPORT_DIR": str(tmp_path)}
    cmd = ["ansible-playbook", str(playbook), "-e", f"@{HERE / 'vars.yml'}", "-e", "release_lock_duration=3"]
    before = heartbeat_processes()
    run = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while lease_of(lab) is None or not heartbeat_processes(before)[which]:
            if run.poll() is not None or time.monotonic() > deadline:
                run.kill()
                raise AssertionError(
                    f"no lock or no heartbeat ({heartbeat_processes(before)}): {run.communicate()[0][-3000:]}"
                )
            time.sleep(0.2)
        # one process started by the lock, or async's wrapper, its fork and the module for the async task
        expected = (
            {"started by the lock": 1, "async module": 0}
            if in_process == "1"
            else {
                "started by the lock": 0,
                "async module": 3,
            }
        )
        assert {kind: len(pids) for kind, pids in heartbeat_processes(before).items()} == expected
        first = lease_of(lab)["spec"]["renewTime"]
        while lease_of(lab)["spec"]["renewTime"] == first and time.monotonic() < deadline:
            time.sleep(0.2)
        assert lease_of(lab)["spec"]["renewTime"] > first  # renewed past its first second
    finally:
        go.write_text("")
        out = run.communicate(timeout=120)[0]
    assert run.returncode == 0, out[-3000:]
    assert lease_of(lab) is None
    deadline = time.monotonic() + 10  # a period (1 s) and a margin
    while heartbeat_processes(before)[which] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not heartbeat_processes(before)[which]


def lease_of(lab) -> dict | None:
    out = lab.run("kubectl", "-n", NAMESPACE, "get", "lease", f"{RELEASE}-deploy-lock", "-o", "json", check=False)
    return json.loads(out) if out.strip() else None


def test_concurrent_deploy_is_refused_while_an_unready_release_is_rolled_back(lab):
    first = subprocess.Popen(  # noqa: S603
        [
            "ansible-playbook",
            "playbooks/deploy.yml",
            "--skip-tags",
            "pre_deploy",
            "-e",
            f"@{HERE / 'vars.yml'}",
            "-e",
            "smeplatform_backend_image_tag=v1.2.0-unready",
            "-e",
            "smeplatform_frontend_image_tag=v1.2.0-unready",
            "-e",
            f"release_it_health_port={lab.health_port}",
        ],
        cwd=ROOT,
        env={**lab.env, "SMEPLATFORM_REPORT_DIR": str(lab.tmp / "unready")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not leases(lab) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert leases(lab) == [f"{RELEASE}-deploy-lock"], "the first run did not take the lock"
    holder = lab.kubectl_json("get", "lease", f"{RELEASE}-deploy-lock")["spec"]["holderIdentity"]

    started = time.monotonic()
    second = lab.deploy("v1.1.0")
    assert second.returncode != 0
    assert "is held by" in second.stdout and holder in second.stdout
    assert time.monotonic() - started < 60, "the second run did not fail fast"

    out, _unused = first.communicate(timeout=600)
    assert first.returncode != 0, out[-4000:]
    history = lab.history()
    assert history[-2]["status"] == "failed" and history[-1]["status"] == "deployed"
    assert lab.backend_image() == image("v1.1.0"), "not back on revision 2's tag"
    assert leases(lab) == [], "the lock was not given back after the failure"
    assert "helm upgrade failed" in out and "not Ready" in out
    assert "helm --atomic had already rolled back" in out
    rep = json.loads(sorted((lab.tmp / "unready").glob("*.json"))[-1].read_text())
    entries = evidence(rep, "deploy.3")
    failed = [e for e in entries if e["status"] == "failed"]
    assert failed and "not Ready" in failed[0]["detail"] and "diagnostics-" in failed[0]["detail"]
    diag_file = failed[0]["detail"].split("details: ")[1].rstrip(")")
    diag = json.loads(Path(diag_file).read_text())
    assert any(p["images"][0].endswith("-unready") for p in diag["pods"]), "unready pods not described"
    assert diag["events"] and diag["helm_history"]
    assert rep["verdict"]["decision"] == "NO-GO"


def test_faulty_release_fails_the_gate_and_is_rolled_back(lab):
    before = lab.history()[-1]["revision"]
    proc = lab.deploy("v1.2.0-faulty", "-e", '{"release_it_verify_roles": ["release_it_health"]}')
    assert proc.returncode != 0, proc.stdout[-4000:]
    history = lab.history()
    assert history[-2]["revision"] == before + 1 and history[-1]["revision"] == before + 2
    assert history[-1]["description"].startswith("Rollback to")
    assert lab.backend_image() == image("v1.1.0")
    assert "failed during verify" in proc.stdout and "Rolled back to revision" in proc.stdout
    rep = report(proc)
    (procedure,) = evidence(rep, "8.1.4")
    assert procedure["status"] == "passed", procedure
    # measured after the rollback: the workloads run the images of the revision rolled back to, and are ready
    assert image("v1.1.0") in procedure["measured"] and "-faulty" not in procedure["measured"]
    assert "; ready Deployment/" in procedure["detail"]
    assert any(e["status"] == "failed" and "diagnostics-" in e["detail"] for e in evidence(rep, "deploy.3"))
    assert leases(lab) == []


def test_expired_lock_is_taken_over_with_a_warning(lab):
    stale = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": f"{RELEASE}-deploy-lock", "namespace": NAMESPACE},
        "spec": {
            "holderIdentity": "ci@dead-runner pid=1 run=deadbeef",
            "leaseDurationSeconds": 60,
            "acquireTime": "2020-01-01T00:00:00.000000Z",
            "renewTime": "2020-01-01T00:00:00.000000Z",
        },
    }
    subprocess.run(
        ["kubectl", "apply", "-f", "-"],
        input=json.dumps(stale),
        env=lab.env,
        text=True,
        check=True,
        capture_output=True,
    )
    proc = lab.deploy("v1.1.0")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "took over the deployment lock" in proc.stdout + proc.stderr
    assert "ci@dead-runner" in proc.stdout + proc.stderr
    assert leases(lab) == []
    assert recap_changed(proc) == 0


def test_release_stuck_in_pending_upgrade_is_recovered(lab):
    good = lab.history()[-1]["revision"]
    # an interrupted helm run: start an upgrade whose pods never get ready and kill helm while it waits
    helm = subprocess.Popen(  # noqa: S603
        [
            "helm",
            "upgrade",
            RELEASE,
            str(ROOT / "charts/sme-platform"),
            "-n",
            NAMESPACE,
            "--wait",
            "--timeout",
            "300s",
            "-f",
            str(ROOT / "charts/sme-platform/values-lab.yaml"),
            "--set-string",
            "backend.image.tag=v1.2.0-unready",
            "--set-string",
            "frontend.image.tag=v1.2.0-unready",
        ],
        env=lab.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and lab.history()[-1]["status"] != "pending-upgrade":
        time.sleep(0.3)
    helm.kill()
    helm.wait()
    assert lab.history()[-1]["status"] == "pending-upgrade"

    refused = lab.deploy("v1.1.0", "-e", "release_pending_action=fail")
    assert refused.returncode != 0 and "stuck in pending-upgrade" in refused.stdout

    proc = lab.deploy("v1.1.0")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "was stuck in pending-upgrade" in proc.stdout + proc.stderr
    last = lab.history()[-1]
    assert last["status"] == "deployed" and last["description"] == f"Rollback to {good}"
    assert lab.backend_image() == image("v1.1.0")


def test_rollback_playbook_returns_to_the_previous_revision_and_reverts_the_migration(lab):
    lab.deploy("v1.0.0")  # a deployment to roll back from
    history = lab.history()
    current = history[-1]["revision"]
    assert lab.backend_image() == image("v1.0.0")
    before_jobs = jobs(lab)
    proc = lab.playbook(
        "rollback.yml", "-e", "release_rollback_migration_revert=true", "-e", '{"release_it_verify_roles": []}'
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    last = lab.history()[-1]
    assert last["revision"] == current + 1 and last["status"] == "deployed"
    assert lab.backend_image() == image("v1.1.0"), "not back on the previous revision's tag"
    new_jobs = sorted(set(jobs(lab)) - set(before_jobs))
    assert len(new_jobs) == 1 and "-migration-revert-" in new_jobs[0]
    job = lab.kubectl_json("get", "job", new_jobs[0])
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == image("v1.0.0"), (
        "revert ran with the wrong image"
    )
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["npm", "run", "migration:revert"]
    rep = report(proc)
    for item in ("rollback.1", "rollback.3", "8.1.4"):
        assert {e["status"] for e in evidence(rep, item)} == {"passed"}, item

    # Rolling back again never returns to v1.0.0, just abandoned; every earlier revision ran v1.1.0, the faulty
    # build (rolled back from) or v1.0.0 (abandoned since), so there is nothing left to go back to.
    revisions = len(lab.history())
    again = lab.playbook("rollback.yml", "-e", '{"release_it_verify_roles": []}')
    assert again.returncode != 0
    assert "nothing to roll back to" in again.stdout, again.stdout[-4000:]
    assert len(lab.history()) == revisions
    assert lab.backend_image() == image("v1.1.0")
    assert leases(lab) == []

    # rollback.2 redeploys previous image tags: tags that never ran are no rollback, whatever helm says
    def redeploy(tag: str) -> subprocess.CompletedProcess:
        return lab.playbook(
            "rollback.yml",
            "-e",
            "release_rollback_method=redeploy",
            "-e",
            f"smeplatform_backend_image_tag={tag}",
            "-e",
            f"smeplatform_frontend_image_tag={tag}",
        )

    never_ran = redeploy("v0.9.0")
    assert never_ran.returncode == 0, never_ran.stdout[-4000:]  # report_gate is off: the verdict is in the report
    assert lab.backend_image() == image("v0.9.0")
    (found,) = evidence(report(never_ran), "rollback.2")
    assert found["status"] == "failed", found
    assert f"{image('v0.9.0')}" in found["detail"] and "never ran in an earlier revision" in found["detail"]
    (procedure,) = evidence(report(never_ran), "8.1.4")
    assert procedure["status"] == "failed" and "did not prove itself" in procedure["detail"], procedure
    older = redeploy("v1.0.0")
    assert older.returncode == 0, older.stdout[-4000:]
    assert lab.backend_image() == image("v1.0.0")
    (found,) = evidence(report(older), "rollback.2")
    assert found["status"] == "passed", found
    assert found["detail"].startswith(f"running {image('v1.0.0')}") and "as revision(s)" in found["detail"]
    assert f"replaced {image('v0.9.0')}" in found["detail"]


def test_bad_input_fails_before_anything_changes(lab):
    revisions = len(lab.history())
    proc = lab.deploy("v1.1.0", "-e", "release_chart=")
    assert proc.returncode != 0 and "release_chart" in proc.stdout
    proc = lab.deploy("")
    assert proc.returncode != 0
    proc = lab.deploy("v1.1.0", "-e", "release_pending_action=maybe")
    assert proc.returncode != 0 and "release_pending_action" in proc.stdout
    assert len(lab.history()) == revisions
    assert leases(lab) == []
