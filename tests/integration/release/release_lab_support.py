"""Fixtures of the release role's lab tests: the lab environment, a release of their own, a platform stand-in.

The tests deploy the reference chart as release ``sme-release-it`` in namespace ``sme-release-it`` (the role
takes any release), so they do not disturb the ``sme-platform`` release other tests use. A second instance of
the platform stand-in (tests/lab/standins/platform.py) watches that release, so that a "-faulty" tag fails
/health as it does for the platform.
"""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
RELEASE = "sme-release-it"
NAMESPACE = "sme-release-it"


def exports(text: str, base: dict[str, str]) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _unused, raw = line[len("export ") :].partition("=")
            found[name] = " ".join(shlex.split(raw)).replace("$PATH", base.get("PATH", ""))
    return found


class Lab:
    """Runs the playbooks against the test release and reads the cluster back."""

    def __init__(self, env: dict[str, str], tmp: Path, health_port: int):
        self.env = env
        self.tmp = tmp
        self.health_port = health_port
        self.runs = 0

    def playbook(self, playbook: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
        self.runs += 1
        report_dir = self.tmp / f"run{self.runs}"
        env = {**self.env, "SMEPLATFORM_REPORT_DIR": str(report_dir)}
        cmd = [
            "ansible-playbook",
            str(ROOT / "playbooks" / playbook),
            "--skip-tags",
            "pre_deploy",
            "-e",
            f"@{HERE / 'vars.yml'}",
            "-e",
            f"release_it_health_port={self.health_port}",
            *args,
        ]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        proc.report_dir = report_dir  # type: ignore[attr-defined]
        (self.tmp / f"run{self.runs}.log").write_text(proc.stdout + proc.stderr)
        return proc

    def deploy(self, tag: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return self.playbook(
            "deploy.yml",
            "-e",
            f"smeplatform_backend_image_tag={tag}",
            "-e",
            f"smeplatform_frontend_image_tag={tag}",
            *args,
            **kwargs,
        )

    def run(self, *cmd: str, check: bool = True) -> str:
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=120, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)}: {proc.stderr}")
        return proc.stdout

    def history(self) -> list[dict]:
        out = self.run("helm", "history", RELEASE, "-n", NAMESPACE, "-o", "json", check=False)
        return json.loads(out) if out.strip() else []

    def backend_image(self) -> str:
        return self.run(
            "kubectl",
            "-n",
            NAMESPACE,
            "get",
            "deployment",
            f"{RELEASE}-sme-platform-backend",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        )

    def kubectl_json(self, *args: str) -> dict:
        return json.loads(self.run("kubectl", "-n", NAMESPACE, *args, "-o", "json"))


def recap_changed(proc: subprocess.CompletedProcess) -> int:
    for line in proc.stdout.splitlines():
        if "changed=" in line and "ok=" in line:
            return int(line.split("changed=")[1].split()[0])
    raise AssertionError(f"no PLAY RECAP in the output:\n{proc.stdout[-3000:]}")


def report(proc: subprocess.CompletedProcess) -> dict:
    files = sorted(Path(proc.report_dir).glob("*.json"))  # type: ignore[attr-defined]
    assert files, f"no report written in {proc.report_dir}"
    return json.loads(files[-1].read_text())


def evidence(rep: dict, item: str) -> list[dict]:
    return next(i for i in rep["items"] if i["id"] == item)["evidence"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
