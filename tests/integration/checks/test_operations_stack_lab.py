"""The operations role's stack checks on the lab: Sentry, New Relic and Statuspage (the edge lab's stand-ins of their
APIs) and the SendGrid account (the SendGrid stand-in), with the Sentry DSN and the APM application name read from the
platform's ConfigMap, written by the chart. Each item passes on what the tools answer, and fails with the precise
reason when the Sentry project is gone, a test event is never seen, the application stops reporting, a component is
degraded, the sender domain is unverified or a template is missing."""

from __future__ import annotations

import datetime
import json
import re
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from checks_support import ROOT, kubectl

pytestmark = pytest.mark.lab

ITEMS = ("5.3.2", "5.3.4", "6.3.1", "6.3.2", "6.4.1", "10.1.4", "10.1.5")
SECRETS = (
    "sentry_token",
    "newrelic_api_key",
    "statuspage_api_key",
    "sendgrid_api_key",
    "grafana_token",
    "logsink_api_key",
    "pagerduty_api_key",
)


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
    for item in ("5.3.2", "5.3.4", "6.3.1", "6.3.2", "6.4.1"):
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
        run = run_role("operations", operations_sentry_event_timeout=3, **settings)
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


def test_the_status_page_goes_back_to_operational_after_the_deploy_but_incidents_stay(run_role, lab):
    state_file = Path(lab["SMEPLATFORM_LAB_OPS_STATE"])

    def statuses() -> dict[str, str]:
        page = json.loads(state_file.read_text())["statuspage"]["pages"][0]
        return {c["name"]: c["status"] for c in page["components"]}

    with edited(lab["SMEPLATFORM_LAB_OPS_STATE"]) as (ops, save):
        for component in ops["statuspage"]["pages"][0]["components"][1:3]:
            component["status"] = "under_maintenance"
        save()
        run = run_role("operations", entry="status_page", check=True)
        assert run.changed() == 1 and run.status("post.day1.2") == "skipped"
        assert run.evidence("post.day1.2")["detail"] == (
            "check mode: would set API, Payments from under_maintenance to operational"
        )
        assert statuses()["Payments"] == "under_maintenance"
        run = run_role("operations", entry="status_page")
        assert run.changed() == 1 and run.status("post.day1.2") == "passed"
        assert run.evidence("post.day1.2")["detail"] == "4 component(s) operational; set operational: API, Payments"
        assert set(statuses().values()) == {"operational"}
        for check in (True, False):
            run = run_role("operations", entry="status_page", check=check)
            assert run.changed() == 0 and run.status("post.day1.2") == "passed"

        ops["statuspage"]["pages"][0]["components"][1]["status"] = "operational"
        ops["statuspage"]["pages"][0]["components"][2]["status"] = "major_outage"
        save()
        run = run_role("operations", entry="status_page")
        assert run.changed() == 0 and run.status("post.day1.2") == "failed"
        assert run.evidence("post.day1.2")["detail"] == (
            "component Payments is major_outage: an open incident, left to the on-call engineer"
        )
        assert statuses()["Payments"] == "major_outage"
    statuspage_key = (Path(lab["SMEPLATFORM_LAB_SECRETS_DIR"]) / "statuspage_api_key").read_text().strip()
    assert statuspage_key not in run.output and statuspage_key not in run.report_text


def test_log_aggregation_needs_the_shipper_on_every_node_and_the_platforms_lines(run_role, lab):
    run = run_role("operations", check=True)
    assert run.status("5.4.2") == "passed", run.evidence("5.4.2")
    measured = run.evidence("5.4.2")["measured"]
    assert measured["nodes"] == 4 and measured["scheduled"] == 4 and measured["ready"] == 4
    assert measured["lines"] > 0  # the platform stand-in logs every Prometheus scrape
    run = run_role(
        "operations", check=True, operations_log_daemonset_namespace="kube-system", operations_namespace="sme-quiet"
    )
    assert run.status("5.4.2") == "failed"
    assert run.evidence("5.4.2")["detail"] == (
        "no log shipper: daemonset kube-system/fluent-bit not found; the sink has no line of namespace sme-quiet in "
        "the last 15m (https://127.0.0.1:15589/logs-*/_count)"
    )
    logsink_key = (Path(lab["SMEPLATFORM_LAB_SECRETS_DIR"]) / "logsink_api_key").read_text().strip()
    assert logsink_key not in run.output and logsink_key not in run.report_text


def test_a_shipper_on_some_nodes_only_fails_5_4_2(run_role, lab, namespace):
    daemonset = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "partial-shipper", "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": {"app": "partial-shipper"}},
            "template": {
                "metadata": {"labels": {"app": "partial-shipper"}},
                "spec": {
                    "nodeSelector": {"topology.kubernetes.io/zone": "lab-zone-a"},
                    "containers": [{"name": "shipper", "image": "cr.fluentbit.io/fluent/fluent-bit:3.1.9"}],
                },
            },
        },
    }
    kubectl(lab, "apply", "-f", "-", stdin=json.dumps(daemonset))
    kubectl(lab, "-n", namespace, "rollout", "status", "daemonset/partial-shipper", "--timeout=60s")
    run = run_role(
        "operations",
        check=True,
        operations_log_daemonset_namespace=namespace,
        operations_log_daemonset="partial-shipper",
    )
    assert run.status("5.4.2") == "failed"
    assert run.evidence("5.4.2")["detail"] == "shipper not on every node: scheduled on 2 of 4 node(s)"


ISTIO_CRDS = (
    ("virtualservices", "networking.istio.io", "VirtualService"),
    ("destinationrules", "networking.istio.io", "DestinationRule"),
    ("peerauthentications", "security.istio.io", "PeerAuthentication"),
)


def test_a_required_mesh_is_measured_and_otherwise_skipped_with_the_reason(run_role, lab, namespace):
    run = run_role("operations", check=True)
    assert run.status("7.1.4") == "skipped"
    assert "requires no service mesh" in run.evidence("7.1.4")["detail"]

    mesh = {"operations_mesh_required": True, "operations_namespace": namespace}
    run = run_role("operations", check=True, **mesh)
    assert run.status("7.1.4") == "failed"
    assert run.evidence("7.1.4")["detail"].startswith(
        "Istio CRDs missing: destinationrules.networking.istio.io, peerauthentications.security.istio.io, "
        "virtualservices.networking.istio.io"
    )
    crds = [
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {
                "group": group,
                "scope": "Namespaced",
                "names": {"plural": plural, "kind": kind, "singular": kind.lower()},
                "versions": [
                    {
                        "name": version,
                        "served": True,
                        "storage": version == "v1beta1",
                        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                    }
                    for version in ("v1beta1", "v1")
                ],
            },
        }
        for plural, group, kind in ISTIO_CRDS
    ]
    kubectl(lab, "apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": crds}))
    try:
        kubectl(lab, "wait", "--for=condition=Established", "--timeout=60s",
                *[f"crd/{plural}.{group}" for plural, group, _kind in ISTIO_CRDS])  # fmt: skip
        kubectl(lab, "label", "namespace", namespace, "istio-injection=enabled")
        policy = {
            "apiVersion": "security.istio.io/v1beta1",
            "kind": "PeerAuthentication",
            "metadata": {"name": "default", "namespace": namespace},
            "spec": {"mtls": {"mode": "STRICT"}},
        }
        kubectl(lab, "apply", "-f", "-", stdin=json.dumps(policy))

        def pod(name: str, containers: list[str]) -> None:
            manifest = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"containers": [{"name": c, "image": f"lab/{c}:1"} for c in containers]},
            }
            kubectl(lab, "apply", "-f", "-", stdin=json.dumps(manifest))
            kubectl(lab, "-n", namespace, "wait", "--for=condition=Ready", f"pod/{name}", "--timeout=60s")

        pod("backend-meshed", ["backend", "istio-proxy"])
        run = run_role("operations", check=True, **mesh)
        assert run.status("7.1.4") == "passed", run.evidence("7.1.4")
        assert run.evidence("7.1.4")["measured"]["mtls_strict"] is True
        pod("backend-bare", ["backend"])
        run = run_role("operations", check=True, **mesh)
        assert run.status("7.1.4") == "failed"
        assert run.evidence("7.1.4")["detail"] == "1 of 2 pod(s) without the istio-proxy sidecar: backend-bare"
    finally:
        kubectl(lab, "delete", "crd", *[f"{plural}.{group}" for plural, group, _kind in ISTIO_CRDS],
                "--wait=false", check=False)  # fmt: skip


def test_the_error_tracking_review_names_the_unresolved_issues(run_role, lab):
    run = run_role("operations", entry="errors", check=True)
    assert run.status("post.week1.2") == "passed", run.evidence("post.week1.2")
    assert run.evidence("post.week1.2")["measured"]["unresolved"] == 0  # the lab project's one issue is resolved
    with edited(lab["SMEPLATFORM_LAB_OPS_STATE"]) as (ops, save):
        ops["sentry"]["projects"][0]["issues"].append(
            {
                "id": "1002",
                "shortId": "SME-PLATFORM-BACKEND-2",
                "title": "TypeError: Cannot read properties of undefined (reading 'dueDate')",
                "level": "error",
                "status": "unresolved",
                "count": "42",
                "userCount": 7,
                "firstSeen": "2026-01-01T00:00:00Z",
                "lastSeen": datetime.datetime.now(datetime.UTC).isoformat(),
            }
        )
        save()
        run = run_role("operations", entry="errors", check=True)
    assert run.status("post.week1.2") == "failed"
    assert run.evidence("post.week1.2")["detail"] == (
        "1 unresolved error/fatal issue(s) seen in the last 7d: SME-PLATFORM-BACKEND-2 TypeError: Cannot read "
        "properties of undefined (reading 'dueDate') (42 events)"
    )


def test_on_call_needs_someone_on_call_now_and_pageable_contacts(run_role, lab):
    run = run_role("operations", check=True)
    for item in ("10.1.4", "10.1.5"):
        assert run.status(item) == "passed", run.evidence(item)
    on_call = run.evidence("10.1.5")["measured"]
    assert len(on_call["rotation"]) == 3 and len(on_call["on_call"]) == 1 and on_call["until"]
    with edited(lab["SMEPLATFORM_LAB_OPS_STATE"]) as (ops, save):
        pagerduty = ops["pagerduty"]
        pagerduty["schedules"][0]["start"] = "2099-01-04T03:30:00Z"  # the rotation has not begun: no one on call
        pagerduty["users"]["PUSR002"]["contact_methods"] = [
            m for m in pagerduty["users"]["PUSR002"]["contact_methods"] if m["type"] == "email_contact_method"
        ]
        save()
        run = run_role("operations", check=True)
    assert run.status("10.1.5") == "failed" and run.status("10.1.4") == "failed"
    assert run.evidence("10.1.5")["detail"] == "no one on call now in SME Platform primary"
    assert run.evidence("10.1.4")["detail"] == "no phone or SMS contact for: Vikram Shah"
