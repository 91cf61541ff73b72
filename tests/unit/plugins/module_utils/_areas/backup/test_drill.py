"""The restore drill: the pod it runs, what it reads back from the pod's log, and the evidence it gives."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import checks, drill

LOG = """\
2026-12-02T05:30:00.100000000Z DRILL file 52311 1764653400
2026-12-02T05:30:00.200000000Z DRILL restore-start
2026-12-02T05:30:01.700000000Z pg_restore: warning: something harmless
2026-12-02T05:30:02.450000000Z DRILL restore-end 0
2026-12-02T05:30:02.500000000Z DRILL count restored {"table" : "public.invoices", "rows" : 5}
2026-12-02T05:30:02.510000000Z DRILL count restored {"table" : "public.payments", "rows" : 3}
2026-12-02T05:30:02.600000000Z DRILL count source {"table" : "public.invoices", "rows" : 5}
2026-12-02T05:30:02.610000000Z DRILL count source {"table" : "public.payments", "rows" : 3}
2026-12-02T05:30:02.700000000Z DRILL counted
2026-12-02T05:30:02.800000000Z DRILL dropped
"""

DUMP = checks.DumpProof(True, {"job": "j", "file": "/backups/db.dump", "bytes": 52311}, "ok", 60.0, "/backups/db.dump")


def by_id(found):
    return {e["id"]: e for e in found}


def test_the_log_gives_size_seconds_counts_and_the_drop():
    log = drill.parse_log(LOG)
    assert (log.size, log.restore_rc, log.seconds) == (52311, 0, 2.25)
    assert log.counts == {"restored": {"public.invoices": 5, "public.payments": 3}, "source": log.counts["restored"]}
    assert log.counted and log.dropped and not log.errors


def test_a_clean_drill_passes_all_three_items_within_the_rto():
    found = by_id(drill.drill_entries(drill.parse_log(LOG), DUMP, "restore_drill_1", 4 * 3600, "ns/cj"))
    assert {e["status"] for e in found.values()} == {"passed"}
    assert found["10.1.3"]["measured"]["tables"]["public.payments"] == {"source": 3, "restored": 3}
    assert found["9.2.2"]["measured"]["seconds"] == 2.25
    assert found["10.1.3"]["duration"] == 2.25


def test_the_rto_fails_alone_when_the_restore_is_slow():
    found = by_id(drill.drill_entries(drill.parse_log(LOG), DUMP, "d", 2.0, "ns/cj"))
    assert (found["10.1.3"]["status"], found["9.2.2"]["status"]) == ("passed", "failed")


def test_every_shortfall_fails_the_drill_and_says_why():
    cases = {
        "row counts differ in public.invoices": LOG.replace('"public.invoices", "rows" : 5}\n2026-12-02T05:30:02.510', (
            '"public.invoices", "rows" : 4}\n2026-12-02T05:30:02.510')),
        "the restore exited 1": LOG.replace("restore-end 0", "restore-end 1"),
        "not confirmed dropped": LOG.replace("DRILL dropped", ""),
        "no table was counted": "\n".join(line for line in LOG.splitlines() if "count" not in line),
        "the backup Job reported 52311": LOG.replace("file 52311", "file 100"),
        "createdb d failed": "2026-12-02T05:30:00Z DRILL error: createdb d failed\n",
    }  # fmt: skip
    for why, log in cases.items():
        found = by_id(drill.drill_entries(drill.parse_log(log), DUMP, "d", 4 * 3600, "ns/cj"))
        assert {e["status"] for e in found.values()} == {"failed"}, why
        assert why in found["10.1.3"]["detail"], (why, found["10.1.3"]["detail"])


def test_no_proven_dump_no_drill():
    none = checks.DumpProof(False, None, "no backup Job has succeeded: no dump to show")
    found = drill.drill_entries(None, none, "d", 3600, "ns/cj")
    assert [e["status"] for e in found] == ["failed"] * 3
    assert found[0]["detail"].startswith("no backup Job has succeeded")


def test_the_drill_pod_is_the_backup_pod_with_a_read_only_volume_and_its_own_connection():
    template = {
        "metadata": {"labels": {"a": "b"}},
        "spec": {
            "nodeSelector": {"zone": "a"},
            "containers": [
                {
                    "name": "backup",
                    "image": "pg:15",
                    "command": ["pg_dump"],
                    "env": [{"name": "PGUSER", "value": "owner"}, {"name": "PGHOST", "value": "db"}],
                    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "backups", "mountPath": "/b"}],
                }
            ],
            "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "backups", "persistentVolumeClaim": {}}],
        },
    }
    env = drill.extra_env({"PGUSER": "drill"}, [{"name": "PGPASSWORD", "secret_name": "s", "key": "k"}])
    pod = drill.drill_pod(template, "p", {"x": "y"}, env, 60, ["sh", "-c", "x"])
    container = pod["spec"]["containers"][0]
    assert container["image"] == "pg:15" and container["command"] == ["sh", "-c", "x"]
    assert {e["name"]: e.get("value") for e in container["env"]} == {
        "PGHOST": "db",
        "PGUSER": "drill",
        "PGPASSWORD": None,
    }
    assert [m.get("readOnly", False) for m in container["volumeMounts"]] == [False, True]
    assert pod["spec"]["nodeSelector"] == {"zone": "a"} and pod["spec"]["activeDeadlineSeconds"] == 60
    assert template["spec"]["containers"][0]["command"] == ["pg_dump"]  # the template is not changed
    cleanup = drill.drill_pod(template, "c", {}, env, 60, ["true"], keep_volumes=False)
    assert [v["name"] for v in cleanup["spec"]["volumes"]] == ["tmp"]
