"""The operations role's stack checks on the lab: Sentry, New Relic and Statuspage (the edge lab's stand-ins of their
APIs) and the SendGrid account (the SendGrid stand-in), with the Sentry DSN and the APM application name read from the
platform's ConfigMap, written by the chart. Each item passes on what the tools answer, and fails with the precise
reason when the Sentry project is gone, a test event is never seen, the application stops reporting, a component is
degraded, the sender domain is unverified or a template is missing."""

from __future__ import annotations

import json
import re
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from checks_support import ROOT, kubectl

pytestmark = pytest.mark.lab

ITEMS = ("5.3.2", "5.3.4", "6.3.1", "6.3.2", "6.4.1")
SECRETS = ("sentry_token", "newrelic_api_key", "statuspage_api_key", "sendgrid_api_key", "grafana_token")


def _secrets(lab) -> list[str]:
    folder = Path(lab["SMEPLATFORM_LAB_SECRETS_DIR"])
    return [(folder / name).read_text().strip() for name in SECRETS]


@contextmanager
def edited(path: str):
    """A stand-in's JSON state, to change for one test; put back afterwards."""
    state_file = Path(path)
    original = state_file.read_text()
    state = json.loads(original)
    try:
        yield state, lambda: state_file.write_text(json.dumps(state))
    finally:
        state_file.write_text(original)


@pytest.fixture
def settings(lab, namespace):
    """The platform's ConfigMap as the chart renders it with values-lab.yaml, in a namespace of the test's own: the
    role's extra variables that point the check at it."""
    rendered = subprocess.run(
        ["helm", "template", "sme-platform", str(ROOT / "charts" / "sme-platform"), "-n", namespace,
         "-f", str(ROOT / "charts" / "sme-platform" / "values-lab.yaml"), "-s", "templates/configmap.yaml",
         "--kube-version", "1.28.0"],
        env=lab, capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    kubectl(lab, "apply", "-n", namespace, "-f", "-", stdin=rendered)
    return {"operations_namespace": namespace, "operations_configmap": "sme-platform-config"}


def test_the_stack_passes_on_the_lab_and_check_mode_sends_no_event(run_role, lab, settings):
    run = run_role("operations", check=True, **settings)
    assert run.changed() == 0, run.output
    assert run.status("6.3.1") == "skipped", run.evidence("6.3.1")
    assert "in check mode no test event is sent" in run.evidence("6.3.1")["detail"]
    assert "event_id" not in run.evidence("6.3.1")["measured"]
    for item in ("5.3.2", "5.3.4", "6.3.2", "6.4.1"):
        assert run.status(item) == "passed", run.evidence(item)

    run = run_role("operations", **settings)
    assert run.proc.returncode == 0, run.output
    assert run.changed() == 0
    for item in ITEMS:
        assert run.status(item) == "passed", run.evidence(item)
    sentry = run.evidence("6.3.1")
    assert sentry["measured"]["project"] == "sme-platform-backend" and sentry["measured"]["key"] == "Default"
    assert sentry["detail"].startswith(f"test event {sentry['measured']['event_id']} accepted and seen")
    assert sentry["measured"]["seen_after"] >= 1.0  # the stand-in processes an event for a second, as Sentry does
    apm = run.evidence("6.3.2")["measured"]
    assert apm["application"] == "sme-platform-backend" and apm["reporting"] is True
    assert run.evidence("6.4.1")["measured"] == {
        "API": "operational",
        "Email notifications": "operational",
        "Payments": "operational",
        "Web application": "operational",
    }
    assert run.evidence("5.3.2")["measured"]["records"] == {"dkim1": True, "dkim2": True, "mail_cname": True}
    assert run.evidence("5.3.4")["measured"]["welcome"]["active_version"] == "welcome v2"
    for secret in _secrets(lab):
        assert secret not in run.output and secret not in run.report_text


def test_each_tool_fails_with_the_reason(run_role, lab, settings):
    with (
        edited(lab["SMEPLATFORM_LAB_OPS_STATE"]) as (ops, save_ops),
        edited(lab["SMEPLATFORM_LAB_SENDGRID_STATE"]) as (sendgrid, save_sendgrid),
    ):
        ops["sentry"]["projects"] = []
        ops["newrelic"]["applications"][0]["last_report_seconds_ago"] = 5400
        ops["statuspage"]["pages"][0]["components"][2]["status"] = "degraded_performance"
        save_ops()
        sendgrid["domains"][0]["valid"] = False
        sendgrid["domains"][0]["dns"]["dkim1"]["valid"] = False
        sendgrid["templates"] = [t for t in sendgrid["templates"] if t["name"] != "payment-reminder"]
        sendgrid["templates"][0]["versions"][0]["active"] = 0
        save_sendgrid()
        run = run_role("operations", check=True, **settings)
    for item in ITEMS:
        assert run.status(item) == "failed", run.evidence(item)
    assert (
        run.evidence("6.3.1")["detail"] == "Sentry project sme-platform-backend not found in organization sme-platform"
    )
    assert run.evidence("6.3.2")["detail"].startswith(
        "New Relic shows sme-platform-backend as not reporting; sme-platform-backend last reported 1h30m"
    )
    assert run.evidence("6.4.1")["detail"] == "component Payments is degraded_performance"
    assert run.evidence("5.3.2")["detail"] == "sender domain smeplatform.test unverified: invalid DNS record(s) dkim1"
    assert run.evidence("5.3.4")["detail"] == (
        "template welcome has no active version; template payment-reminder missing"
    )
    assert run.report["verdict"]["decision"] == "NO-GO"


def test_an_event_never_seen_a_disabled_key_and_a_refused_token_fail_6_3_1(run_role, lab, settings):
    with edited(lab["SMEPLATFORM_LAB_OPS_STATE"]) as (ops, save):
        ops["sentry"]["projects"][0]["processing_seconds"] = 3600
        save()
        run = run_role("operations", operations_sentry_event_timeout="3s", **settings)
        assert run.status("6.3.1") == "failed"
        detail = run.evidence("6.3.1")["detail"]
        assert re.fullmatch(r"test event [0-9a-f]{32} was accepted but not seen via the API after [34]s", detail)
        ops["sentry"]["projects"][0]["keys"][0]["isActive"] = False
        save()
        run = run_role("operations", check=True, **settings)
    assert run.evidence("6.3.1")["detail"] == "the DSN's key is disabled (sme-platform-backend has 1 key(s))"
    wrong = "sntrys_" + "x" * 64
    run = run_role(
        "operations", check=True, operations_sentry_token=wrong, operations_newrelic_api_key="NRAK-WRONG", **settings
    )
    assert "Sentry refused the auth token on GET" in run.evidence("6.3.1")["detail"]
    assert "New Relic refused the user key on GET" in run.evidence("6.3.2")["detail"]
    assert wrong not in run.output and "NRAK-WRONG" not in run.output


def test_without_the_platforms_configmap_error_tracking_and_apm_wait_for_the_deploy(run_role, lab):
    run = run_role("operations", check=True, operations_configmap="sme-no-such-config")
    for item in ("6.3.1", "6.3.2"):
        assert run.status(item) == "skipped"
        assert run.evidence(item)["detail"].startswith("configmap sme-platform/sme-no-such-config does not exist yet")
    assert run.status("6.4.1") == "passed"
