"""Helpers of the database lab tests: the platform's Secret aligned with the lab's servers, and its values."""

from __future__ import annotations

import base64
import json
import subprocess

from checks_support import ROOT, kubectl

NAMESPACE = "sme-platform"
SECRET = "sme-platform-secrets"


def align_app_secret(lab: dict[str, str]) -> None:
    """The platform's Secret exists (generate_secrets.yml, as deploy.yml leaves it) and the lab's servers take its
    DATABASE_PASSWORD and REDIS_PASSWORD (tests/lab/data/lab.sh app-secret), as the operator does."""
    env = {**lab, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    generate = subprocess.run(
        ["ansible-playbook", "-i", str(ROOT / "inventories" / "lab"), str(ROOT / "playbooks" / "generate_secrets.yml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert generate.returncode == 0, generate.stdout[-3000:]
    align = subprocess.run(
        ["bash", str(ROOT / "tests" / "lab" / "data" / "lab.sh"), "app-secret"],
        env=lab, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert align.returncode == 0, align.stderr[-3000:]


class SecretValues(dict):
    """The values of a Secret; shown (in a test's failure, say) by key names only."""

    def __repr__(self) -> str:
        return f"<values of {', '.join(sorted(self))}>"


def secret_values(lab: dict[str, str], namespace: str = NAMESPACE, name: str = SECRET) -> SecretValues:
    obj = json.loads(kubectl(lab, "-n", namespace, "get", "secret", name, "-o", "json"))
    return SecretValues({k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()})


def copy_platform(lab: dict[str, str], namespace: str, secret: dict[str, str], config: dict[str, str]) -> None:
    """The platform's Secret and ConfigMap, with the given values, in a namespace of the test's own."""
    for kind, name, field, data in (
        ("Secret", SECRET, "stringData", secret),
        ("ConfigMap", "sme-platform-config", "data", config),
    ):
        doc = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}, field: data}
        kubectl(lab, "create", "-f", "-", stdin=json.dumps(doc))


def forms(value: str) -> list[str]:
    raw = value.encode()
    return [value, base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(), raw.hex()]
