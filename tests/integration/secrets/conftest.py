"""Fixtures of the secrets integration tests: the lab cluster, throw-away namespaces and playbook runs."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shlex
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GENERATE = ROOT / "playbooks" / "generate_secrets.yml"
VERIFY = Path(__file__).parent / "verify.yml"
SECRET = "sme-platform-secrets"


def lab_environment() -> dict[str, str]:
    env = dict(os.environ)
    for component in ("k8s", "edge"):
        out = subprocess.run(
            ["bash", str(ROOT / "tests" / "lab" / component / "lab.sh"), "env"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        for line in out.stdout.splitlines():
            if line.startswith("export "):
                name, _unused, raw = line[len("export ") :].partition("=")
                value = " ".join(shlex.split(raw)).replace("$PATH", env.get("PATH", ""))
                env[name] = value
    return env


@dataclass
class Run:
    proc: subprocess.CompletedProcess
    report_dir: Path

    @property
    def output(self) -> str:
        return self.proc.stdout + self.proc.stderr

    @property
    def changed(self) -> int:
        found = re.search(r"lab-cluster\s*:.*?changed=(\d+)", self.proc.stdout)
        assert found, self.output[-3000:]
        return int(found.group(1))

    def report(self) -> dict:
        files = sorted(self.report_dir.glob("*.json"), key=lambda p: p.stat().st_mtime)
        assert files, f"no report in {self.report_dir}:\n{self.output[-3000:]}"
        return json.loads(files[-1].read_text())

    def statuses(self) -> dict[str, str]:
        return {i["id"]: i["status"] for i in self.report()["items"] if i["role"] == "secrets"}


@dataclass
class Lab:
    env: dict[str, str]
    tmp: Path
    namespaces: list[str] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    unmasked_reports: bool = False

    @property
    def core(self):
        from kubernetes import client, config

        return client.CoreV1Api(config.new_client_from_config(config_file=self.env["KUBECONFIG"]))

    def namespace(self, prefix: str) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:6]}"
        self.namespaces.append(name)
        return name

    def secret(self, namespace: str):
        from kubernetes.client.rest import ApiException

        try:
            return self.core.read_namespaced_secret(SECRET, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def values(self, namespace: str) -> dict[str, str]:
        obj = self.secret(namespace)
        assert obj is not None, f"no Secret in {namespace}"
        return {k: base64.b64decode(v).decode() for k, v in (obj.data or {}).items()}

    def external(self, **override: str) -> dict[str, str]:
        """The lab's live external keys (the lab inventory's values), with overrides."""
        folder = Path(self.env["SMEPLATFORM_LAB_SECRETS_DIR"])

        def read(name):
            return (folder / name).read_text().strip()

        seed = read("jwt_secret")
        import hashlib

        values = {
            "sendgrid_api_key": read("sendgrid_api_key"),
            "twilio_account_sid": read("twilio_account_sid"),
            "twilio_auth_token": read("twilio_auth_token"),
            "razorpay_key_id": read("razorpay_key_id"),
            "razorpay_key_secret": read("razorpay_key_secret"),
            "aws_access_key_id": "AKIA" + hashlib.sha1(seed.encode()).hexdigest().upper()[:16],  # noqa: S324
            "aws_secret_access_key": hashlib.sha256(seed.encode()).hexdigest()[:40],
        }
        values.update(override)
        return values

    def lab_secret_file(self, name: str) -> str:
        return (Path(self.env["SMEPLATFORM_LAB_SECRETS_DIR"]) / name).read_text().strip()

    def play(self, namespace: str, check: bool = False, verbose: bool = True, playbook: Path = GENERATE, **extra):
        """Run a playbook against the lab inventory with the role pointed at `namespace`; -vvv --diff by default.

        Settings go in as inventory facts (smeplatform_*) where one exists: the report callback masks the values of
        variables whose names look secret, and the role's own variables are named secrets_*.
        """
        extra = {"smeplatform_namespace": namespace, **extra}
        vars_file = self.tmp / f"vars-{uuid.uuid4().hex[:8]}.json"
        vars_file.write_text(json.dumps(extra))
        vars_file.chmod(0o600)
        report_dir = self.tmp / f"reports-{len(self.runs)}"
        report_dir.mkdir()
        env = dict(self.env, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), SMEPLATFORM_REPORT_DIR=str(report_dir))
        if self.unmasked_reports:
            # A pattern that matches no variable name: the report callback then masks nothing on its own, so the
            # leak test proves the module keeps values out of reports by itself.
            env["SMEPLATFORM_SECRET_VAR_PATTERN"] = "(?!)"
        env.setdefault("ANSIBLE_FORCE_COLOR", "0")
        cmd = ["ansible-playbook", "-i", str(ROOT / "inventories" / "lab"), str(playbook), "-e", f"@{vars_file}"]
        if verbose:
            cmd += ["-vvv", "--diff"]
        if check:
            cmd.append("--check")
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
        run = Run(proc, report_dir)
        self.runs.append(run)
        return run


@pytest.fixture
def lab(tmp_path):
    env = lab_environment()
    if not env.get("KUBECONFIG") or not Path(env["KUBECONFIG"]).exists():
        pytest.fail("the lab cluster is not set up: run tests/lab/k8s/lab.sh up")
    one = Lab(env, tmp_path)
    yield one
    from kubernetes.client.rest import ApiException

    for name in one.namespaces:
        with contextlib.suppress(ApiException):
            one.core.delete_namespace(name)
