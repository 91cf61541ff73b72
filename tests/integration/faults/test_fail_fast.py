"""Fail fast on the lab: a release whose pods the API refuses (Pod Security "restricted" in the namespace)
stops within seconds of the first FailedCreate event, with the event's text in the run's one-line cause,
instead of waiting for helm's timeout; the last good release keeps serving and the lab database's row counts are
unchanged. The check-mode dry run of the same release reports the Pod Security warnings as a failed item.
"""

from __future__ import annotations

import json
import time

import pytest
from release_lab_support import evidence, report

pytestmark = pytest.mark.lab

GOOD = "127.0.0.1:15450/sme-platform/backend:v1.1.0"
# a valid pod template (privileged needs allowPrivilegeEscalation) that the namespace's "restricted" level refuses
PRIVILEGED = json.dumps(
    {
        "release_values": {"containerSecurityContext": {"privileged": True, "allowPrivilegeEscalation": True}},
        "release_timeout": 300,
    }
)


def test_first_good_release(lab):
    proc = lab.deploy("v1.1.0")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert lab.backend_image() == GOOD


def test_check_mode_reports_pod_security_warnings_as_a_failed_item(lab, rows_unchanged):
    with rows_unchanged():
        proc = lab.deploy("v1.2.0", "-e", PRIVILEGED, "--check")
    rep = report(proc)
    failed = [e for e in evidence(rep, "deploy.3") if e["status"] == "failed"]
    assert failed, proc.stdout[-4000:]
    assert 'would violate PodSecurity "restricted' in failed[0]["detail"]
    assert "privileged" in failed[0]["detail"]
    assert lab.backend_image() == GOOD


def test_refused_pods_stop_the_upgrade_within_seconds_with_the_event_text(lab, rows_unchanged):
    with rows_unchanged():
        started = time.monotonic()
        proc = lab.deploy("v1.2.0", "-e", PRIVILEGED)
        elapsed = time.monotonic() - started
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-4000:]
    cause = next(line for line in out.splitlines() if "Deployment of" in line and "failed during upgrade" in line)
    assert "FailedCreate" in cause and "violates PodSecurity" in cause, cause
    assert "without waiting for its timeout" in cause
    seconds = int(cause.split("stopped after ")[1].split("s,")[0])
    print(f"fail fast: helm stopped {seconds}s after the upgrade started; whole run {elapsed:.0f}s")
    assert seconds <= 15 + 5  # the first FailedCreate comes within seconds of the upgrade; one look every 2 s
    # the whole run (ansible-playbook's start, the tasks before helm, the rollback) did not wait for helm's 300 s
    # timeout either; on a loaded machine it takes over 2 minutes, so the bound is the timeout, not a guess
    assert elapsed < 300
    assert lab.history()[-1]["status"] == "deployed"
    assert lab.backend_image() == GOOD
