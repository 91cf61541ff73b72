"""The deploy playbook against a raw `helm upgrade --install --wait` of the same chart, side by side.

Target: the playbook's overhead over raw helm is at most 8 s (bench.py runs this with the other measures).

Each round changes the image tag of two releases of the reference chart on the lab cluster, one by raw helm
(`bench-raw` in namespace `sme-release-bench-raw`) and one by playbooks/deploy.yml (`bench-play` in namespace
`sme-release-bench`), and times both. The playbook runs what raw helm does not - the deployment lock, the
namespace's Pod Security labels, the migration:run and migration:show Jobs of the new image, the rollout check,
the evidence and the report - and skips the pre-deployment checks and the secrets and smoke roles (their own
benchmarks cover them; --full includes the secrets and smoke roles anyway). A first round installs both releases
and is not counted. Prints the rounds, the medians and the ratio; exits non-zero when the target is missed.

    python tests/bench/bench_release.py [--rounds 3] [--full]
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "sme-platform"
TAGS = ("v1.0.0", "v1.1.0")
RAW = ("bench-raw", "sme-release-bench-raw")
PLAY = ("bench-play", "sme-release-bench")


def lab_env() -> dict[str, str]:
    env = dict(os.environ)
    out = subprocess.run(
        ["bash", str(ROOT / "tests/lab/k8s/lab.sh"), "env"], capture_output=True, text=True, check=True
    ).stdout
    for line in out.splitlines():
        if line.startswith("export "):
            name, _, raw = line[len("export ") :].partition("=")
            env[name] = " ".join(shlex.split(raw)).replace("$PATH", env.get("PATH", ""))
    env["PATH"] = f"{ROOT / '.venv/bin'}:{env['PATH']}"
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    return env


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:3])} ... failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def raw_helm(tag: str, env: dict[str, str]) -> list[str]:
    name, namespace = RAW
    return [
        "helm", "upgrade", name, str(CHART), "--install", "-n", namespace, "--create-namespace",
        "-f", str(CHART / "values-lab.yaml"), "--set-string", f"backend.image.tag={tag}",
        "--set-string", f"frontend.image.tag={tag}", "--wait", "--timeout", "120s",
    ]  # fmt: skip


def playbook(tag: str, full: bool, release: tuple[str, str] | None = PLAY) -> list[str]:
    """deploy.yml for a new tag; `release` (name, namespace) names the release, None leaves it to the inventory."""
    cmd = [
        "ansible-playbook", str(ROOT / "playbooks/deploy.yml"), "--skip-tags", "pre_deploy",
        "-e", f"smeplatform_backend_image_tag={tag}", "-e", f"smeplatform_frontend_image_tag={tag}",
        "-e", '{"release_required_secrets": [], "release_migration_env_from": []}',
        # timing only: the run proves the release alone, not the deploy playbook's scope
        "-e", "report_gate=false",
    ]  # fmt: skip
    if release is not None:
        name, namespace = release
        cmd += ["-e", f"release_name={name}", "-e", f"release_namespace={namespace}"]
        cmd += [
            "-e",
            f'{{"release_migration_image_from": {{"kind": "Deployment", "name": "{name}-sme-platform-backend"}}}}',
        ]
    if not full:
        cmd += ["-e", '{"release_prepare_roles": [], "release_verify_roles": []}']
    return cmd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="include the secrets and smoke roles")
    args = parser.parse_args()
    env = lab_env()
    with tempfile.TemporaryDirectory(prefix="bench-release-") as reports:
        env["SMEPLATFORM_REPORT_DIR"] = reports
        print("install round (not counted) ...", flush=True)
        timed(raw_helm(TAGS[0], env), env)
        timed(playbook(TAGS[0], args.full), env)
        raw_times, play_times = [], []
        for i in range(args.rounds):
            tag = TAGS[(i + 1) % len(TAGS)]
            raw = timed(raw_helm(tag, env), env)
            play = timed(playbook(tag, args.full), env)
            raw_times.append(raw)
            play_times.append(play)
            print(f"round {i + 1} ({tag}): raw helm {raw:6.1f}s  deploy playbook {play:6.1f}s  ratio {play / raw:4.2f}")
    raw, play = statistics.median(raw_times), statistics.median(play_times)
    allowed = 8.0
    overhead = play - raw
    ok = overhead <= allowed
    print(
        f"median: raw helm {raw:.1f}s, deploy playbook {play:.1f}s, ratio {play / raw:.2f}, overhead {overhead:.1f}s "
        f"(target <= {allowed:.1f}s) -> {'PASS' if ok else 'MISS'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
