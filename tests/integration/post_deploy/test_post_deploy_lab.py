"""playbooks/post_deploy.yml on the lab: each stage passes on a healthy release; the first hour's watch fails naming
the sample when the platform starts failing mid-watch, rolls back when asked and changes nothing in check mode; bad
input fails before anything runs; the schedules render and the cluster accepts the CronJobs (server-side dry run).

The lab inventory (inventories/lab/group_vars/all/post_deploy.yml) compresses the hour to 75 s (a sample every
15 s) and the day, week and month to their last 2 minutes. The test of a failing platform runs last: its 5xx
answers stay in the lab Prometheus's windows for minutes.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import threading
import time
import urllib.request

import pytest
from post_deploy_lab_support import HERE, module_running, run_playbook
from smoke_lab_support import GOOD_TAG, health_version, quiet_prometheus

pytestmark = pytest.mark.usefixtures("release")

SCOPES = {
    "hour": ("post_hour", ["post.hour.1", "post.hour.2", "post.hour.3", "post.hour.4", "post.hour.5"]),
    "day": ("post_day1", ["post.day1.2", "post.day1.4", "post.day1.5"]),
    "week": ("post_week1", ["post.week1.1", "post.week1.2", "post.week1.4", "post.week1.5"]),
    "month": ("post_month1", ["post.month1.1", "post.month1.3", "post.month1.4"]),
}
# What the lab cannot measure: skipped, each with the reason its check gave, never passed.
LAB_SKIPPED = {"post.hour.3", "post.hour.4", "post.week1.5"}


def helm_history(env) -> list[dict]:
    out = subprocess.run(
        ["helm", "history", "sme-platform", "-n", "sme-platform", "-o", "json"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def test_bad_stage_fails_before_anything_runs(post_deploy):
    run = post_deploy("year")
    assert run.proc.returncode != 0
    assert "post_deploy_stage must be one of: hour, day, week, month, got: year" in run.output
    assert not [one for one in run.items.values() if one["evidence"]], "a check ran despite the bad input"


def test_first_hour_passes_on_a_healthy_release_with_every_series(post_deploy, lab_env):
    quiet_prometheus(lab_env)
    run = post_deploy("hour")
    assert run.proc.returncode == 0, run.output[-5000:]
    scope, items = SCOPES["hour"]
    for item in items:
        one = run.items[item]
        expected = "skipped" if item in LAB_SKIPPED else "passed"
        assert one["status"] == expected, (item, one["evidence"])
        assert all(e["detail"] for e in one["evidence"])
    assert run.report["verdict"]["decision"] == "GO", run.report["verdict"]
    # the report names its scope where the verdict holds runs to scopes (checklist/scopes.yml)
    assert run.report.get("scope", {"name": scope})["name"] == scope
    rate = [e for e in run.items["post.hour.1"]["evidence"] if e["detail"].startswith("error rate")][0]
    # 75 s with a sample every 15 s: six samples, each a point of the plotted series
    assert len(rate["measured"]["series"]) == 6 and rate["measured"]["samples"] == 6
    stamps = [t for t, _value in rate["measured"]["series"]]
    assert stamps[-1] - stamps[0] >= 75 - 1
    assert any("pod logs cannot be read" in e["detail"] for e in run.items["post.hour.4"]["evidence"])


def prometheus_holds(env, seconds: float) -> None:
    """Wait until the lab Prometheus has been up ``seconds``: a review period it did not watch is not measured."""
    url = env.get("PROMETHEUS_URL", "http://127.0.0.1:15490")
    with urllib.request.urlopen(f"{url}/api/v1/status/runtimeinfo", timeout=5) as r:  # noqa: S310 - the lab's
        started = datetime.datetime.fromisoformat(json.loads(r.read())["data"]["startTime"].replace("Z", "+00:00"))
    up = (datetime.datetime.now(datetime.UTC) - started).total_seconds()
    if up < seconds:
        time.sleep(seconds - up)


@pytest.mark.parametrize("stage", ["day", "week", "month"])
def test_later_stages_pass_on_a_healthy_release(post_deploy, lab_env, stage):
    # the lab reviews the last 2 minutes with 1-minute rates: Prometheus must have watched all of it
    prometheus_holds(lab_env, 120 + 60 + 15)
    run = post_deploy(stage)
    assert run.proc.returncode == 0, run.output[-5000:]
    scope, items = SCOPES[stage]
    for item in items:
        expected = "skipped" if item in LAB_SKIPPED else "passed"
        assert run.items[item]["status"] == expected, (item, run.items[item]["evidence"])
    assert run.report["verdict"]["decision"] == "GO", run.report["verdict"]
    assert run.report.get("scope", {"name": scope})["name"] == scope
    if stage == "week":
        [perf] = run.items["post.week1.1"]["evidence"]
        assert perf["measured"]["coverage"] >= 0.9 and len(perf["measured"]["series"]) >= 20
    if stage == "day":
        [db] = list(run.items["post.day1.4"]["evidence"])
        assert db["measured"]["calls"] > 0 and db["measured"]["index_hit_ratio"] is not None


def test_schedules_render_and_the_cluster_accepts_the_cronjobs(lab_env, tmp_path):
    manifest, crontab = tmp_path / "cronjobs.yaml", tmp_path / "post-deploy.cron"
    proc = run_playbook(
        HERE / "schedule.yml",
        "-e", "post_deploy_schedule_from=2026-12-02T03:00:00Z", "-e", "post_deploy_follows=lab-20261202T030000Z",
        "-e", f"post_deploy_schedule_manifest={manifest}", "-e", f"post_deploy_schedule_crontab={crontab}",
        env={**lab_env, "SMEPLATFORM_REPORT_DIR": str(tmp_path / "reports")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:]
    applied = subprocess.run(
        ["kubectl", "apply", "--dry-run=server", "-o", "json", "-f", str(manifest)],
        env=lab_env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    found = json.loads(applied.stdout)
    jobs = {j["metadata"]["annotations"]["smeplatform.deploy/stage"]: j for j in found.get("items", [found])}
    assert {s: j["spec"]["schedule"] for s, j in jobs.items()} == {
        "day": "00 03 03 12 *",
        "week": "00 03 09 12 *",
        "month": "00 03 01 01 *",
    }
    assert all("post_deploy_follows=lab-20261202T030000Z" in j["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"][0]["command"] for j in jobs.values())  # fmt: skip
    lines = [line for line in crontab.read_text().splitlines() if line and not line.startswith(("#", "CRON_TZ"))]
    expected = [["00", "03", "03", "12", "*"], ["00", "03", "09", "12", "*"], ["00", "03", "01", "01", "*"]]
    assert [line.split()[:5] for line in lines] == expected
    assert all("post_deploy_follows=lab-20261202T030000Z" in line for line in lines)


def _faulty_mid_watch(release, marker: str, healthy_samples: int = 1) -> threading.Thread:
    """Deploy the faulty release once the watch has started and taken its first healthy samples (15 s apart),
    instead of at a fixed time after ansible-playbook started: a loaded machine can start the watch late. helm
    does not wait for the rollout, so the revision is recorded before the watch can breach and roll it back."""

    def flip():
        deadline = time.monotonic() + 300
        while not module_running("post_deploy_watch", marker):
            assert time.monotonic() < deadline, "the first hour's watch did not start within 300 s"
            time.sleep(0.5)
        time.sleep(15 * healthy_samples)
        release.deploy("v1.2.0-faulty", wait=False)

    thread = threading.Thread(target=flip)
    thread.start()
    return thread


def test_first_hour_fails_naming_the_sample_when_the_platform_fails_and_check_mode_changes_nothing(
    post_deploy, release, lab_env, tmp_path
):
    quiet_prometheus(lab_env)
    before = helm_history(lab_env)
    flip = _faulty_mid_watch(release, str(tmp_path))
    run = post_deploy("hour", "--check", post_deploy_rollback_on_failure=True)
    flip.join()
    assert run.proc.returncode != 0
    assert "the first hour's watch failed at sample" in run.output
    failed = [e for e in run.items["post.hour.1"]["evidence"] if e["status"] == "failed"]
    assert failed and "sample" in failed[0]["detail"] and "of 6" in failed[0]["detail"]
    # the faulty upgrade is the only new revision: check mode rolled nothing back (revision numbers, not the
    # history's length: helm keeps at most --history-max revisions)
    after = helm_history(lab_env)
    assert after[-1]["revision"] == before[-1]["revision"] + 1 and after[-1]["status"] == "deployed"
    release.good()


def test_first_hour_rolls_back_when_asked(post_deploy, release, lab_env, tmp_path):
    quiet_prometheus(lab_env)
    before = helm_history(lab_env)
    flip = _faulty_mid_watch(release, str(tmp_path))
    run = post_deploy("hour", post_deploy_rollback_on_failure=True)
    flip.join()
    assert run.proc.returncode != 0
    assert "the first hour's watch failed at sample" in run.output
    assert "the release was rolled back" in run.output
    after = helm_history(lab_env)
    # the faulty upgrade, then the rollback to the revision before it
    assert after[-1]["revision"] == before[-1]["revision"] + 2
    assert after[-1]["description"].startswith(f"Rollback to {before[-1]['revision']}")
    release.wait_serving(lambda: health_version() == GOOD_TAG, GOOD_TAG)
