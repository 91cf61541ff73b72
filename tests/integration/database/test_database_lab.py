"""The database role on the lab: 4.2.4 logs in to PostgreSQL and 3.2.3 to Redis with exactly the settings and
passwords the platform reads from its ConfigMap and Secret in the cluster, never the inventory's; a wrong password
or a stopped Redis fails its item with one line naming the server (and the user), and no value of the Secret
appears in any output, -vvv included. Read-only: check mode and real runs change nothing, twice."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from checks_support import ROOT, kubectl, stop_process
from database_lab_support import (
    NAMESPACE,
    SecretValues,
    align_app_secret,
    copy_platform,
    forms,
    secret_values,
)

pytestmark = pytest.mark.lab

APP = "sme_app@127.0.0.1:15434/sme_platform"
REDIS = "127.0.0.1:15479"
WRONG = "Wrong-password-of-the-test-0123456789"


@pytest.fixture(scope="module")
def aligned(lab, platform_release) -> dict[str, str]:
    align_app_secret(lab)
    return secret_values(lab)


def platform_config(lab) -> dict[str, str]:
    return json.loads(kubectl(lab, "-n", NAMESPACE, "get", "configmap", "sme-platform-config", "-o", "json"))["data"]


def assert_no_secret_value(run, values) -> None:
    for key, value in values.items():
        if len(value) < 6:
            continue
        for form in forms(value):
            assert form not in run.output, f"{key} leaked into the output"
            assert form not in run.report_text, f"{key} leaked into the report"


def test_check_mode_and_real_runs_log_in_with_the_platforms_secret_and_change_nothing(run_role, aligned):
    # the inventory's password of sme_app is wrong here: 4.2.4 must not use it (4.1.6, the pooler's check, does)
    runs = [
        run_role("database", check=True, verbose=True, database_app_password=WRONG),
        run_role("database", database_app_password=WRONG),
        run_role("database", check=True, database_app_password=WRONG),
        run_role("database", database_app_password=WRONG),
    ]
    for run in runs:
        assert run.changed() == 0, run.output[-3000:]
        login = run.evidence("4.2.4")
        assert login["status"] == "passed", login
        assert login["where"] == APP
        # the Secret's name is masked in reports: the lab inventory's release_migration_env_from names it under a
        # key that looks secret (secretRef), and the report masks such values wherever they turn up
        assert f"DATABASE_PASSWORD of Secret {NAMESPACE}/" in login["detail"]
        assert f"DATABASE_HOST of ConfigMap {NAMESPACE}/sme-platform-config" in login["detail"]
        redis = run.evidence("3.2.3")
        assert redis["status"] == "passed", redis
        assert redis["where"] == f"redis://{REDIS}/0"
        assert redis["measured"]["ping"] == "PONG" and redis["measured"]["role"] == "master"
        assert redis["measured"]["redis_version"].startswith("7.")
        assert redis["measured"]["maxmemory_policy"] == "allkeys-lru"
        assert run.status("4.1.6") == "failed", "the pooler's check uses the inventory's password"
        assert_no_secret_value(run, {**aligned, "inventory": WRONG})


def test_every_database_item_passes_on_the_lab(run_role, aligned):
    run = run_role("database", check=True)
    assert run.proc.returncode == 0, run.output
    assert run.changed() == 0
    for item in ("4.1.1", "4.1.2", "4.1.4", "4.1.6", "4.2.3", "4.2.4", "3.2.3"):
        assert run.status(item) == "passed", run.evidence(item)
    assert run.evidence("4.1.2")["measured"]["streaming"] >= 1
    assert run.evidence("4.2.4")["measured"]["current_user"] == "sme_app"
    assert "sme_platform/sme_app" in run.evidence("4.1.6")["measured"]["pools"][0]


def test_a_privileged_app_role_fails_least_privilege_and_the_platforms_login_names_the_mismatch(run_role, aligned):
    # the check user is not the application: its role has pg_monitor, which is no violation, so use the owner
    run = run_role("database", database_app_user="sme_owner", database_app_password="irrelevant-pw-1")
    assert run.status("4.2.3") == "failed"
    assert (
        "owns database sme_platform" in run.evidence("4.2.3")["detail"] or "CREATE" in run.evidence("4.2.3")["detail"]
    )
    # the platform logs in as sme_owner now (the inventory's user, its ConfigMap naming none): not the role it
    # gets its password for, so the login fails; it never passes for a role other than the one 4.2.3 checks
    assert run.status("4.2.4") == "failed"


def test_a_wrong_database_password_in_the_secret_fails_4_2_4_naming_server_and_user(run_role, lab, namespace, aligned):
    values = SecretValues({**aligned, "DATABASE_PASSWORD": WRONG})
    copy_platform(lab, namespace, values, platform_config(lab))
    run = run_role("database", check=True, verbose=True, database_namespace=namespace)
    login = run.evidence("4.2.4")
    assert login["status"] == "failed", login
    detail = login["detail"]
    assert "\n" not in detail
    assert detail.startswith(f"cannot connect to PostgreSQL as {APP}: "), detail
    assert "authentication failed" in detail  # PgBouncer: "SASL authentication failed"
    assert f"; DATABASE_PASSWORD of Secret {namespace}/" in detail
    assert detail.endswith(
        " is not the password of sme_app: set the role's password to it (ALTER ROLE ... PASSWORD) or correct the Secret"
    ), detail
    assert run.status("3.2.3") == "passed"
    assert run.changed() == 0
    assert_no_secret_value(run, values)


def test_a_wrong_redis_password_in_the_secret_fails_3_2_3_naming_the_server(run_role, lab, namespace, aligned):
    values = SecretValues({**aligned, "REDIS_PASSWORD": WRONG})
    copy_platform(lab, namespace, values, platform_config(lab))
    run = run_role("database", check=True, verbose=True, database_namespace=namespace)
    redis = run.evidence("3.2.3")
    assert redis["status"] == "failed", redis
    assert redis["detail"].startswith(f"Redis at {REDIS} refused AUTH: WRONGPASS"), redis["detail"]
    assert f"REDIS_PASSWORD of Secret {namespace}/" in redis["detail"]
    assert "is not this server's password: set requirepass to it" in redis["detail"]
    assert run.status("4.2.4") == "passed"
    assert_no_secret_value(run, values)


def test_a_missing_secret_fails_both_items_and_nothing_falls_back_to_the_inventory(run_role, lab, namespace, aligned):
    kubectl(lab, "-n", namespace, "create", "configmap", "sme-platform-config", "--from-literal=DATABASE_PORT=15434")
    run = run_role("database", check=True, database_namespace=namespace)
    for item in ("4.2.4", "3.2.3"):
        assert run.evidence(item)["status"] == "failed"
        assert run.evidence(item)["detail"].startswith(f"Secret {namespace}/")
        assert run.evidence(item)["detail"].endswith(" does not exist: run playbooks/generate_secrets.yml")


@pytest.fixture
def redis_stopped(lab, aligned):
    stop_process(ROOT / ".lab" / "data" / "run" / "redis.pid")
    try:
        yield REDIS
    finally:
        up = subprocess.run(
            ["bash", str(ROOT / "tests" / "lab" / "data" / "lab.sh"), "app-secret"],
            env=lab, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert up.returncode == 0, up.stderr[-2000:]


def test_a_stopped_redis_is_named_by_its_own_address(run_role, redis_stopped):
    started = time.monotonic()
    run = run_role("database", check=True)
    elapsed = time.monotonic() - started
    redis = run.evidence("3.2.3")
    assert redis["status"] == "failed"
    assert redis["detail"].startswith(f"cannot connect to Redis at {redis_stopped}: "), redis["detail"]
    assert redis["detail"].endswith(
        f"; start Redis at {redis_stopped} (or correct the platform's REDIS_HOST/REDIS_PORT)"
    ), redis["detail"]
    assert (redis.get("duration") or 0) <= 20
    assert run.status("4.2.4") == "passed"
    print(f"stopped Redis: the database role's run took {elapsed:.0f} s")
