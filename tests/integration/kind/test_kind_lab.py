"""Integration tests of the kind lab (tests/lab/kind): real nodes, real pods.

What the kwok lab can only simulate, measured here on running containers:
nodes in two zones, a TCP connection from a pod on one node to a pod on
another, a NetworkPolicy that denies a connection, an httpGet readiness probe
that keeps a pod out of service, and the logs of a Job.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from kind_support import Kube, eventually

pytestmark = pytest.mark.kind


def pod(name: str, image: str, command: list[str], node: str | None = None, labels: dict | None = None, **spec) -> dict:
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": name}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "main", "image": image, "imagePullPolicy": "Never", "command": command, **spec}],
        },
    }
    if node:
        body["spec"]["nodeName"] = node
    return body


def http_server(name: str, image: str, node: str, labels: dict | None = None) -> dict:
    """busybox httpd serving one page that names the pod."""
    script = f"mkdir -p /www && echo served-by-{name} > /www/index.html && exec httpd -f -p 8080 -h /www"
    return pod(name, image, ["sh", "-c", script], node=node, labels=labels)


def workers(kube: Kube) -> list[dict]:
    nodes = kube.get("nodes", ns=False)["items"]
    return [n for n in nodes if "node-role.kubernetes.io/control-plane" not in n["metadata"]["labels"]]


def zone(node: dict) -> str:
    return node["metadata"]["labels"].get("topology.kubernetes.io/zone", "")


def pod_ip(kube: Kube, name: str) -> str:
    return kube.get("pod", name)["status"]["podIP"]


def http_get(kube: Kube, client: str, ip: str, port: int = 8080, timeout: int = 3) -> tuple[int, str]:
    """GET / from inside pod `client` with busybox nc (Debian's static busybox
    wget needs NSS, which a static binary cannot load): (exit code, body)."""
    script = f"printf 'GET / HTTP/1.0\\r\\nHost: {ip}\\r\\n\\r\\n' | nc -w {timeout} {ip} {port}"
    out = kube.exec(client, "sh", "-c", script, timeout=timeout + 30)
    # text mode reads CRLF as a newline: headers end at the first empty line
    head, _unused, body = out.stdout.partition("\n\n")
    return (out.returncode if head.startswith("HTTP/1.1 200") else out.returncode or 1), body


def test_three_ready_nodes_in_two_zones(kind_kube: Kube) -> None:
    nodes = kind_kube.get("nodes", ns=False)["items"]
    roles = sorted(
        "control-plane" if "node-role.kubernetes.io/control-plane" in n["metadata"]["labels"] else "worker"
        for n in nodes
    )
    assert roles == ["control-plane", "worker", "worker"]
    for n in nodes:
        ready = {c["type"]: c["status"] for c in n["status"]["conditions"]}["Ready"]
        assert ready == "True", f"node {n['metadata']['name']} is not Ready"
        assert n["spec"].get("podCIDR"), f"node {n['metadata']['name']} has no podCIDR"
    assert len({zone(n) for n in nodes}) >= 2, [zone(n) for n in nodes]
    assert len({zone(n) for n in workers(kind_kube)}) == 2, "the two workers are in different zones"


def test_pod_to_pod_across_nodes(namespace: Kube, busybox_image: str) -> None:
    first, second = (n["metadata"]["name"] for n in workers(namespace)[:2])
    namespace.apply(
        [
            http_server("server", busybox_image, first),
            pod("client", busybox_image, ["sleep", "3600"], node=second),
        ]
    )
    namespace.wait("condition=Ready", "pod/server")
    namespace.wait("condition=Ready", "pod/client")
    server_ip = pod_ip(namespace, "server")
    assert pod_ip(namespace, "client") != server_ip
    code, body = http_get(namespace, "client", server_ip)
    assert code == 0
    assert body.strip() == "served-by-server"


def test_network_policy_denies_a_connection(namespace: Kube, busybox_image: str) -> None:
    """Ingress to the server is allowed only from pods labelled access=allowed (§7.1)."""
    first, second = (n["metadata"]["name"] for n in workers(namespace)[:2])
    namespace.apply(
        [
            http_server("guarded", busybox_image, first, labels={"app": "guarded"}),
            pod("allowed", busybox_image, ["sleep", "3600"], node=second, labels={"access": "allowed"}),
            pod("denied", busybox_image, ["sleep", "3600"], node=second, labels={"access": "none"}),
        ]
    )
    for name in ("guarded", "allowed", "denied"):
        namespace.wait("condition=Ready", f"pod/{name}")
    ip = pod_ip(namespace, "guarded")

    def fetch(client: str) -> bool:
        code, body = http_get(namespace, client, ip)
        return code == 0 and body.strip() == "served-by-guarded"

    assert fetch("denied"), "before any policy every pod may connect"
    namespace.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "only-allowed"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "guarded"}},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"access": "allowed"}}}]}],
            },
        }
    )
    assert eventually(lambda: not fetch("denied"), timeout=30), "the policy never denied the unlabelled client"
    assert fetch("allowed"), "the labelled client must still connect"
    assert not fetch("denied")


def test_http_readiness_probe_keeps_a_pod_out_of_service(namespace: Kube, busybox_image: str) -> None:
    def probed(name: str, ready_file: bool) -> dict:
        script = "mkdir -p /www && echo ok > /www/index.html"
        if ready_file:
            script += " && echo ready > /www/ready"
        body = pod(name, busybox_image, ["sh", "-c", script + " && exec httpd -f -p 8080 -h /www"])
        body["spec"]["containers"][0]["readinessProbe"] = {
            "httpGet": {"path": "/ready", "port": 8080},
            "periodSeconds": 1,
            "failureThreshold": 1,
        }
        return body

    namespace.apply([probed("ready", True), probed("unready", False)])
    namespace.wait("condition=Ready", "pod/ready", timeout=60)
    namespace.wait("jsonpath={.status.phase}=Running", "pod/unready", timeout=60)

    def probe_failed() -> bool:
        events = namespace.get("events", "--field-selector", "involvedObject.name=unready")["items"]
        return any("Readiness probe failed" in (e.get("message") or "") for e in events)

    assert eventually(probe_failed, timeout=30), "the kubelet never reported a failed readiness probe"
    status = namespace.get("pod", "unready")["status"]
    ready = {c["type"]: c["status"] for c in status["conditions"]}
    assert ready["Ready"] == "False"
    assert status["containerStatuses"][0]["started"] is True


def test_job_logs(namespace: Kube, busybox_image: str) -> None:
    marker = f"job-ran-{uuid.uuid4().hex}"
    namespace.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "logger"},
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {
                                "name": "main",
                                "image": busybox_image,
                                "imagePullPolicy": "Never",
                                "command": ["sh", "-c", f"echo {marker}; echo second line from $(hostname)"],
                            }
                        ],
                    }
                },
            },
        }
    )
    namespace.wait("condition=Complete", "job/logger", timeout=90)
    logs = namespace.run("logs", "job/logger").stdout.splitlines()
    assert logs[0] == marker
    assert logs[1].startswith("second line from logger-")
