"""Integration tests of the Kubernetes lab (tests/lab/k8s/lab.sh).

They run against the real lab control plane (kube-apiserver, controller-manager,
scheduler, etcd; nodes simulated by kwok), which must be up: the lab make target
runs ``tests/lab/k8s/lab.sh up`` first. The tests use the kubectl and helm built
for the lab, taken from ``lab.sh env``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[3]
LAB_SH = REPO / "tests" / "lab" / "k8s" / "lab.sh"
VERSIONS = REPO / "tests" / "lab" / "versions.env"
CHART = Path(__file__).resolve().parent / "fixtures" / "lab-probe"
LAB_PORTS = {16443, *range(16000, 16100)}


def read_versions() -> dict[str, str]:
    values = {}
    for line in VERSIONS.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _unused, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def parse_env(text: str, base: dict[str, str]) -> dict[str, str]:
    """Apply the ``export NAME=value`` lines printed by ``lab.sh env``."""
    env = dict(base)
    for line in text.splitlines():
        if not line.startswith("export "):
            continue
        name, _unused, raw = line[len("export ") :].partition("=")
        value = " ".join(shlex.split(raw))
        value = value.replace("$PATH", base.get("PATH", ""))
        env[name] = value
    return env


@pytest.fixture(scope="session")
def lab_env() -> dict[str, str]:
    out = subprocess.run(["bash", str(LAB_SH), "env"], capture_output=True, text=True, check=True).stdout
    env = parse_env(out, dict(os.environ))
    status = subprocess.run(["bash", str(LAB_SH), "status"], capture_output=True, text=True, env=env, check=False)
    if status.returncode != 0:
        pytest.fail(
            "the Kubernetes lab is not up; start it with `tests/lab/k8s/lab.sh up`\n" + status.stdout + status.stderr
        )
    return env


def run(env, *args, timeout=120, check=True):
    proc = subprocess.run(list(args), capture_output=True, text=True, env=env, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def kubectl_json(env, *args):
    return json.loads(run(env, "kubectl", *args, "-o", "json").stdout)


@pytest.fixture
def namespace(lab_env):
    name = f"lab-test-{uuid.uuid4().hex[:8]}"
    run(lab_env, "kubectl", "create", "namespace", name)
    yield name
    run(lab_env, "kubectl", "delete", "namespace", name, "--wait=false", check=False)


def test_tools_come_from_the_lab_cache(lab_env):
    for tool in ("kubectl", "helm"):
        path = run(lab_env, "bash", "-c", f"command -v {tool}").stdout.strip()
        assert "smeplatform-lab" in path or lab_env.get("SMEPLATFORM_LAB_CACHE", "\0") in path, path


def test_at_least_three_ready_nodes_in_two_zones(lab_env):
    nodes = kubectl_json(lab_env, "get", "nodes")["items"]
    ready = [
        n
        for n in nodes
        if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", []))
    ]
    assert len(ready) >= 3, [n["metadata"]["name"] for n in nodes]
    zones = {n["metadata"]["labels"].get("topology.kubernetes.io/zone") for n in ready}
    zones.discard(None)
    assert len(zones) >= 2, zones
    for node in ready:
        assert node["metadata"]["labels"].get("topology.kubernetes.io/region")
        capacity = node["status"]["capacity"]
        assert {"cpu", "memory", "pods"} <= capacity.keys(), capacity


def test_default_storage_class_and_nginx_ingress_class(lab_env):
    classes = kubectl_json(lab_env, "get", "storageclass")["items"]
    defaults = [
        c["metadata"]["name"]
        for c in classes
        if c["metadata"].get("annotations", {}).get("storageclass.kubernetes.io/is-default-class") == "true"
    ]
    assert defaults == ["standard"], defaults
    ingress = kubectl_json(lab_env, "get", "ingressclass", "nginx")
    assert ingress["spec"]["controller"] == "k8s.io/ingress-nginx"


def test_server_version_is_the_pinned_one(lab_env):
    pinned = read_versions()["K8S_VERSION"]
    assert lab_env["SMEPLATFORM_LAB_K8S_VERSION"] == pinned
    version = json.loads(run(lab_env, "kubectl", "version", "-o", "json").stdout)
    server = version["serverVersion"]
    assert server["gitVersion"] == pinned, server
    major, minor = int(server["major"]), int(re.sub(r"\D", "", server["minor"]))
    assert (major, minor) >= (1, 28), server


def test_helm_is_v3(lab_env):
    out = run(lab_env, "helm", "version", "--short").stdout.strip()
    assert out.startswith("v3."), out
    assert out.split("+")[0] == read_versions()["HELM_VERSION"], out


def test_helm_install_of_ready_deployment_succeeds(lab_env, namespace):
    start = time.monotonic()
    run(
        lab_env,
        "helm",
        "upgrade",
        "--install",
        "probe",
        str(CHART),
        "--namespace",
        namespace,
        "--wait",
        "--timeout",
        "60s",
        timeout=90,
    )
    elapsed = time.monotonic() - start
    assert elapsed < 60, f"helm --wait took {elapsed:.1f}s"
    deploy = kubectl_json(lab_env, "-n", namespace, "get", "deployment", "probe-probe")
    assert deploy["status"].get("readyReplicas") == 3, deploy["status"]
    pods = kubectl_json(lab_env, "-n", namespace, "get", "pods")["items"]
    assert len({p["spec"]["nodeName"] for p in pods}) >= 1
    assert all(p["status"]["phase"] == "Running" for p in pods)


def test_a_pod_whose_readiness_was_taken_away_is_ready_again(lab_env, namespace):
    """What the node lifecycle controller does to every pod when the nodes' leases lapse during a control-plane
    restart: the lab's nodes make their pods ready again, as kubelets do, instead of leaving them NotReady."""
    run(lab_env, "helm", "upgrade", "--install", "probe", str(CHART), "--namespace", namespace, "--wait",
        "--timeout", "60s", timeout=90)  # fmt: skip
    pod = kubectl_json(lab_env, "-n", namespace, "get", "pods")["items"][0]["metadata"]["name"]
    not_ready = {
        "status": {
            "conditions": [
                {"type": "Ready", "status": "False", "reason": "NodeStatusUnknown"},
                {"type": "ContainersReady", "status": "False"},
            ]
        }
    }
    run(lab_env, "kubectl", "-n", namespace, "patch", "pod", pod, "--subresource=status", "--type=strategic",
        "-p", json.dumps(not_ready))  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        conditions = kubectl_json(lab_env, "-n", namespace, "get", "pod", pod)["status"]["conditions"]
        if {c["type"]: c["status"] for c in conditions}.get("Ready") == "True":
            break
        assert time.monotonic() < deadline, f"pod {pod} still not ready: {conditions}"
        time.sleep(1)
    deploy = kubectl_json(lab_env, "-n", namespace, "get", "deployment", "probe-probe")
    assert deploy["status"].get("readyReplicas") == 3, deploy["status"]


def test_helm_install_of_unready_tag_times_out(lab_env, namespace):
    proc = run(
        lab_env,
        "helm",
        "upgrade",
        "--install",
        "probe",
        str(CHART),
        "--namespace",
        namespace,
        "--set",
        "image.tag=v1.2.0-unready",
        "--wait",
        "--timeout",
        "15s",
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0, proc.stdout
    assert re.search(r"deadline|timed out|timeout", proc.stderr, re.I), proc.stderr
    pods = kubectl_json(lab_env, "-n", namespace, "get", "pods")["items"]
    assert len(pods) == 3
    for pod in pods:
        assert pod["status"]["phase"] == "Running", pod["status"]
        ready = {c["type"]: c["status"] for c in pod["status"]["conditions"]}["Ready"]
        assert ready == "False", pod["status"]


def test_job_pods_complete(lab_env, namespace):
    run(
        lab_env,
        "helm",
        "upgrade",
        "--install",
        "migrate",
        str(CHART),
        "--namespace",
        namespace,
        "--set",
        "replicaCount=0",
        "--set",
        "job.enabled=true",
        "--wait",
        "--wait-for-jobs",
        "--timeout",
        "60s",
        timeout=90,
    )
    job = kubectl_json(lab_env, "-n", namespace, "get", "job", "migrate-migrate")
    assert job["status"].get("succeeded") == 1, job["status"]


def test_server_side_dry_run_creates_nothing(lab_env, namespace, tmp_path):
    manifest = tmp_path / "cm.json"
    manifest.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "dry-run-probe", "namespace": namespace},
                "data": {"NODE_ENV": "production"},
            }
        )
    )
    out = run(lab_env, "kubectl", "apply", "--dry-run=server", "-f", str(manifest)).stdout
    assert "server dry run" in out, out
    # Admission still runs on a dry run: a namespace that does not exist is rejected.
    bad = run(
        lab_env,
        "kubectl",
        "create",
        "configmap",
        "x",
        "-n",
        "does-not-exist-ns",
        "--dry-run=server",
        check=False,
    )
    assert bad.returncode != 0 and "not found" in bad.stderr, bad.stderr
    got = run(lab_env, "kubectl", "-n", namespace, "get", "configmap", "dry-run-probe", check=False)
    assert got.returncode != 0 and "NotFound" in got.stderr, got.stdout + got.stderr


def test_service_account_without_rights_is_forbidden(lab_env, namespace):
    run(lab_env, "kubectl", "-n", namespace, "create", "serviceaccount", "no-rights")
    token = run(lab_env, "kubectl", "-n", namespace, "create", "token", "no-rights", "--duration=10m").stdout.strip()
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==="))
    assert claims["sub"] == f"system:serviceaccount:{namespace}:no-rights"
    ctx = ssl.create_default_context(cafile=lab_env["SMEPLATFORM_LAB_K8S_CA"])
    # The URL is the lab API server's https address printed by lab.sh env.
    request = urllib.request.Request(  # noqa: S310
        f"{lab_env['SMEPLATFORM_LAB_K8S_API']}/api/v1/namespaces/{namespace}/secrets",
        headers={"Authorization": f"Bearer {token}"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, context=ctx, timeout=10)  # noqa: S310
    assert err.value.code == 403
    body = json.loads(err.value.read())
    assert f"system:serviceaccount:{namespace}:no-rights" in body["message"], body
    # The controller-manager's service-account controller created the default account.
    kubectl_json(lab_env, "-n", namespace, "get", "serviceaccount", "default")


def test_lease_can_be_created_and_updated(lab_env, namespace):
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "lab-lock", "namespace": namespace},
        "spec": {"holderIdentity": "first", "leaseDurationSeconds": 15},
    }
    proc = subprocess.run(
        ["kubectl", "create", "-f", "-"],
        input=json.dumps(lease),
        capture_output=True,
        text=True,
        env=lab_env,
        check=True,
    )
    assert "created" in proc.stdout
    run(
        lab_env,
        "kubectl",
        "-n",
        namespace,
        "patch",
        "lease",
        "lab-lock",
        "--type=merge",
        "-p",
        json.dumps({"spec": {"holderIdentity": "second", "leaseTransitions": 1}}),
    )
    got = kubectl_json(lab_env, "-n", namespace, "get", "lease", "lab-lock")
    assert got["spec"]["holderIdentity"] == "second"
    assert got["spec"]["leaseTransitions"] == 1


def _lab_pids(lab_env) -> set[int]:
    run_dir = Path(lab_env["KUBECONFIG"]).parent / "run"
    pids = set()
    for pid_file in run_dir.glob("*.pid"):
        pid = int(pid_file.read_text().strip())
        if Path(f"/proc/{pid}").exists():
            pids.add(pid)
    return pids


def test_lab_listens_on_loopback_only(lab_env):
    pids = _lab_pids(lab_env)
    assert len(pids) == 5, pids
    out = run(lab_env, "ss", "-Hltnup").stdout
    seen_ports = set()
    for line in out.splitlines():
        fields = line.split()
        local = fields[4]
        addr, _unused, port = local.rpartition(":")
        line_pids = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        ours = bool(line_pids & pids) or int(port) in LAB_PORTS
        if not ours:
            continue
        seen_ports.add(int(port))
        assert addr in ("127.0.0.1", "[::ffff:127.0.0.1]"), line
    assert 16443 in seen_ports, out
    assert {16079, 16080, 16047, 16057, 16059} <= seen_ports, seen_ports
