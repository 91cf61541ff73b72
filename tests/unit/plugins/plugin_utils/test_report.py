from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import Redactor
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue, CatalogueError
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.report import (
    GO,
    NO_GO,
    NOT_RUN,
    RunLog,
    build,
    check_entries,
    render_json,
    render_junit,
    render_markdown,
)

SECRET = "s3cr3t-Value-Nobody-Sees"


@pytest.fixture(scope="module")
def catalogue():
    return Catalogue.load()


def record(item_id, status, **kwargs):
    return {
        "kind": "evidence",
        "host": "lab",
        "task": "t",
        "task_duration": 0.5,
        "entry": {"id": item_id, "status": status, **kwargs},
    }


def scoped(*item_ids, require_signoffs=False, name="test"):
    return {"kind": "scope", "name": name, "items": list(item_ids), "require_signoffs": require_signoffs}


def test_every_item_has_a_status_and_unrecorded_ones_are_manual_or_not_run(catalogue):
    log = RunLog(environment="lab")
    log.add_record(record("2.1.2", "passed", measured="v1.34.1", threshold=">= 1.28"))
    log.add_record(scoped("2.1.2"))
    report = build(catalogue, log)
    items = {i["id"]: i for i in report["items"]}
    assert len(items) == len(catalogue)
    assert items["2.1.2"]["status"] == "passed"
    assert items["2.1.2"]["duration"] == 0.5
    assert items["8.2.2"]["status"] == "manual"
    assert items["2.1.1"]["status"] == NOT_RUN
    assert report["summary"]["total"] == len(catalogue)
    assert report["verdict"]["decision"] == GO


def test_an_empty_run_is_no_go(catalogue):
    report = build(catalogue, RunLog())
    assert report["verdict"]["decision"] == NO_GO
    assert "no report scope was declared" in report["verdict"]["reasons"][0]


def test_a_run_without_scope_is_no_go_even_with_passed_items(catalogue):
    log = RunLog()
    log.add_record(record("2.1.2", "passed"))
    assert build(catalogue, log)["verdict"]["decision"] == NO_GO


def test_an_unproven_item_of_the_scope_is_no_go_and_named(catalogue):
    log = RunLog()
    log.add_record(record("2.1.2", "passed"))
    log.add_record(scoped("2.1.2", "2.1.3"))
    report = build(catalogue, log)
    assert report["verdict"]["decision"] == NO_GO
    assert "not proven in this run: 2.1.3" in report["verdict"]["reasons"][0]
    assert {i["id"]: i["in_scope"] for i in report["items"]}["2.1.3"] is True


def test_a_skipped_part_makes_the_item_skipped_and_needs_a_reason(catalogue):
    log = RunLog()
    log.add_record(record("success.6", "passed", detail="email sent"))
    log.add_record(record("success.6", "skipped"))
    log.add_record(scoped("success.6"))
    report = build(catalogue, log)
    assert {i["id"]: i["status"] for i in report["items"]}["success.6"] == "skipped"
    assert report["verdict"]["decision"] == NO_GO
    assert "skipped without a reason: success.6" in report["verdict"]["reasons"][0]


def test_a_skip_with_its_reason_keeps_go(catalogue):
    log = RunLog()
    log.add_record(record("2.1.2", "skipped", detail="check mode: nothing written"))
    log.add_record(scoped("2.1.2"))
    assert build(catalogue, log)["verdict"]["decision"] == GO


def test_unsigned_manual_items_are_no_go_only_when_sign_offs_are_required(catalogue):
    log = RunLog()
    log.add_record(record("2.1.2", "passed"))
    log.add_record(scoped("2.1.2", "4.2.1"))
    assert build(catalogue, log)["verdict"]["decision"] == GO
    log.add_record(scoped("2.1.2", "4.2.1", require_signoffs=True))
    report = build(catalogue, log)
    assert report["verdict"]["decision"] == NO_GO
    assert "manual item(s) not signed off: 4.2.1" in report["verdict"]["reasons"][0]
    log.add_record(record("4.2.1", "passed", detail="signed off by A at T", where="sign-off"))
    assert build(catalogue, log)["verdict"]["decision"] == GO


def test_an_automated_item_the_check_could_only_call_manual_needs_a_sign_off_when_required(catalogue):
    log = RunLog()
    log.add_record(record("3.3.4", "manual", detail="no STS endpoint reachable: format checked only"))
    log.add_record(scoped("3.3.4"))
    assert build(catalogue, log)["verdict"]["decision"] == GO
    log.add_record(scoped("3.3.4", require_signoffs=True))
    assert "not signed off: 3.3.4" in build(catalogue, log)["verdict"]["reasons"][0]


def test_an_interrupted_run_is_no_go(catalogue):
    log = RunLog(interrupted="during task 'Upgrade'")
    log.add_record(record("2.1.2", "passed"))
    log.add_record(scoped("2.1.2"))
    report = build(catalogue, log)
    assert report["verdict"]["decision"] == NO_GO
    assert report["verdict"]["reasons"][0].startswith("the run was interrupted")


def test_a_failed_item_is_no_go_and_named(catalogue):
    log = RunLog()
    log.add_record(record("4.1.2", "passed"))
    log.add_record(record("4.1.2", "failed", detail="replica lag 90s"))
    log.add_record(scoped("4.1.2"))
    report = build(catalogue, log)
    assert report["verdict"]["decision"] == NO_GO
    assert "4.1.2" in report["verdict"]["reasons"][0]


def test_each_distinct_cause_of_failed_items_is_one_line_of_the_verdict(catalogue):
    log = RunLog()
    dead = "cannot connect to the PostgreSQL primary as ops@10.0.0.5:5432/d: refused; start the PostgreSQL primary"
    for item in ("4.1.1", "4.1.2", "4.1.4"):
        log.add_record(record(item, "failed", detail=dead))
    log.add_record(record("4.1.6", "failed", detail="PgBouncer at 10.0.0.6:6432\ncannot reach   the primary"))
    log.add_record(record("4.2.3", "passed"))
    log.add_record(scoped("4.1.1", "4.1.2", "4.1.4", "4.1.6", "4.2.3"))
    reasons = build(catalogue, log)["verdict"]["reasons"]
    assert reasons == [
        "4 checklist item(s) failed: 4.1.1, 4.1.2, 4.1.4, 4.1.6",
        f"4.1.1, 4.1.2, 4.1.4: {dead}",
        "4.1.6: PgBouncer at 10.0.0.6:6432 cannot reach the primary",
    ]


def test_a_failed_task_is_no_go(catalogue):
    log = RunLog()
    log.add_record({"kind": "task_failed", "host": "prod", "task": "Upgrade release", "msg": "timed out"})
    report = build(catalogue, log)
    assert report["verdict"]["decision"] == NO_GO
    assert any("Upgrade release" in reason for reason in report["verdict"]["reasons"])


def test_unknown_id_in_journal_is_no_go_and_named(catalogue):
    log = RunLog()
    log.add_record(record("77.7.7", "passed"))
    report = build(catalogue, log)
    assert report["verdict"]["decision"] == NO_GO
    assert any("'77.7.7'" in r for r in report["verdict"]["reasons"])


def test_check_entries_names_unknown_id(catalogue):
    with pytest.raises(CatalogueError, match=r"unknown checklist item id '5\.9\.9'"):
        check_entries(catalogue, [{"id": "2.1.1", "status": "passed"}, {"id": "5.9.9", "status": "passed"}])


def test_markdown_mirrors_checklist_layout(catalogue):
    log = RunLog(environment="prod")
    log.add_record(record("2.1.3", "passed", measured=3, threshold=">= 3"))
    log.add_record(record("2.1.5", "failed", measured=1, threshold=">= 2", detail="one zone"))
    md = render_markdown(build(catalogue, log))
    assert "## 2. Infrastructure Setup" in md
    assert "### Cloud Provider" in md
    assert "- [x] **2.1.3** Node pools configured (min 3 nodes) — _passed_" in md
    assert "- [ ] **2.1.5** Regional deployment for HA — _failed_" in md
    assert "measured 1 (threshold >= 2); one zone" in md
    assert "(sign-off: Engineering lead)" in md
    assert "**Verdict**: **NO-GO**" in md


def test_junit_counts_failures_and_skips(catalogue):
    log = RunLog()
    log.add_record(record("2.1.3", "passed"))
    log.add_record(record("2.1.5", "failed", detail="one zone"))
    root = ET.fromstring(render_junit(build(catalogue, log)))
    assert root.get("tests") == str(len(catalogue))
    assert root.get("failures") == "1"
    suite = next(s for s in root if s.get("name").startswith("2 "))
    failed = [c for c in suite if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["2.1.5 Regional deployment for HA"]
    assert failed[0].find("failure").get("message") == "one zone"


def test_secret_reaches_no_rendering(catalogue):
    log = RunLog()
    log.add_record(record("3.2.1", "failed", measured=SECRET, detail=f"value {SECRET}"))
    log.add_record({"kind": "task_failed", "host": "h", "task": "t", "msg": f"boom {SECRET}"})
    report = build(catalogue, log)
    redactor = Redactor([SECRET])
    for render in (render_markdown, render_json, render_junit):
        assert SECRET not in render(report, redactor)
    assert json.loads(render_json(report, redactor))["verdict"]["decision"] == NO_GO


def test_the_report_names_its_run_and_the_run_it_follows(catalogue):
    log = RunLog(run_id="lab-20261203T030000Z")
    log.add_record(record("post.day1.4", "passed", detail="measured"))
    log.add_record({**scoped("post.day1.4", name="post_day1"), "follows": "lab-20261202T030000Z"})
    report = build(catalogue, log)
    assert report["run_id"] == "lab-20261203T030000Z" and report["follows"] == "lab-20261202T030000Z"
    text = render_markdown(report)
    assert "**Run id**: lab-20261203T030000Z" in text and "**Follows**: lab-20261202T030000Z" in text


def test_a_fleet_gets_a_verdict_per_host_and_one_failing_host_makes_the_run_no_go(catalogue):
    log = RunLog(environment="fleet")
    for host in ("env-a", "env-b", "env-c"):
        status = "failed" if host == "env-b" else "passed"
        log.add_record({**record("deploy.3", status, detail=f"on {host}"), "host": host})
        log.add_record({**record("2.1.2", "passed"), "host": host})
    log.add_record({"kind": "task_failed", "host": "env-b", "task": "helm upgrade", "msg": "rolled back"})
    log.add_record(scoped("deploy.3", "2.1.2"))
    report = build(catalogue, log)
    hosts = report["hosts"]
    assert {name: one["decision"] for name, one in hosts.items()} == {"env-a": GO, "env-b": NO_GO, "env-c": GO}
    assert "deploy.3" in hosts["env-b"]["reasons"][0]
    assert any("helm upgrade" in reason for reason in hosts["env-b"]["reasons"])
    assert hosts["env-a"]["summary"]["passed"] == 2
    assert report["verdict"]["decision"] == NO_GO
    text = render_markdown(report)
    assert "## Per host" in text
    assert "| env-b | **NO-GO** |" in text and "| env-a | **GO** |" in text


def test_a_single_host_run_has_no_per_host_table(catalogue):
    log = RunLog()
    log.add_record(record("2.1.2", "passed"))
    log.add_record(scoped("2.1.2"))
    report = build(catalogue, log)
    assert report["hosts"] == {}
    assert "## Per host" not in render_markdown(report)


def test_a_sign_off_counts_for_every_host_of_a_fleet(catalogue):
    log = RunLog()
    for host in ("env-a", "env-b"):
        log.add_record({**record("2.1.2", "passed"), "host": host})
    signed = {"id": "8.2.2", "status": "passed", "measured": {"signed_off_by": "ops"}, "where": "sign-off"}
    log.add_record({"kind": "evidence", "host": "env-a", "task": "verdict", "entry": signed})
    log.add_record(scoped("2.1.2", "8.2.2", require_signoffs=True))
    hosts = build(catalogue, log)["hosts"]
    assert set(hosts) == {"env-a", "env-b"}
    assert hosts["env-b"]["decision"] == GO, hosts["env-b"]["reasons"]
