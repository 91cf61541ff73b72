"""`make bench`: every speed target of the collection, measured in one run on the lab and printed side by side.

    python tests/bench/bench.py [--rounds 3] [--only pre_deploy,deploy,rollback,fleet,smoke]

Measures (medians of --rounds runs, after one uncounted round that installs what the others need):
  pre_deploy   playbooks/pre_deploy.yml --check --diff on the lab inventory          target <= 8 s
  deploy       playbooks/deploy.yml --skip-tags pre_deploy minus raw `helm upgrade --install --wait` of the same
               chart and tag change (bench_release.py says what each runs)          target overhead <= 8 s
  rollback     playbooks/rollback.yml of the deploy benchmark's release (helm rollback, verify roles as shipped;
               the smoke role checks the lab's routes, which lead to the lab's own release)
                                                                                     target <= 12 s
  fleet        the deploy benchmark's playbook for 3 environments (inventories/lab-fleet, 3 namespaces) with
               forks=3, against one of them alone                                    target <= 1.5 x
  smoke        the smoke suite's own duration (bench_smoke.py)                        target < 10 s
Every ansible-playbook run is profiled task by task (tests/bench/callback_plugins/bench_profile.py); the slowest
tasks of each measure are printed, and everything is written to reports/bench/bench-<time>.json.
Exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import bench_release  # noqa: E402

TARGETS = {"pre_deploy": 8.0, "deploy": 8.0, "rollback": 12.0, "fleet": 1.5, "smoke": 10.0}
UNITS = {"pre_deploy": "s", "deploy": "s overhead", "rollback": "s", "fleet": "x one environment", "smoke": "s"}
FLEET = ("fleet-a", "fleet-b", "fleet-c")
# images of the lab registry (tests/lab/README.md)
FLEET_TAGS = ("v0.9.0", "v1.0.0", "v1.1.0")


class Runner:
    """Runs commands in the lab environment; ansible-playbook runs keep their task profile."""

    def __init__(self, env: dict[str, str], reports: str):
        self.env = dict(env)
        self.env["SMEPLATFORM_REPORT_DIR"] = reports
        self.env["ANSIBLE_CALLBACK_PLUGINS"] = str(HERE / "callback_plugins")
        self.env["ANSIBLE_CALLBACKS_ENABLED"] = "smeplatform.deploy.evidence_report,bench_profile"
        self.profiles: dict[str, list[dict[str, Any]]] = {}

    def run(self, measure: str, cmd: list[str], ok_codes: tuple[int, ...] = (0,)) -> float:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            profile = handle.name
        env = {**self.env, "BENCH_PROFILE": profile}
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - started
        if proc.returncode not in ok_codes:
            sys.exit(
                f"{measure}: {' '.join(cmd[:2])} ... failed ({proc.returncode}):\n"
                f"{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
            )
        try:
            with open(profile, encoding="utf-8") as handle:
                data = json.load(handle)
            self.profiles.setdefault(measure, []).append({"wall": round(elapsed, 3), **data})
        except (OSError, ValueError):
            pass
        finally:
            Path(profile).unlink(missing_ok=True)
        return elapsed


def _playbook(name: str) -> str:
    return str(ROOT / "playbooks" / name)


def pre_deploy(runner: Runner, rounds: int) -> dict[str, Any]:
    cmd = ["ansible-playbook", _playbook("pre_deploy.yml"), "-i", str(ROOT / "inventories/lab"), "--check", "--diff"]
    cmd += ["-e", "report_gate=false"]
    times = [runner.run("pre_deploy", cmd) for _ in range(rounds)]
    return {"rounds": times, "value": statistics.median(times)}


def deploy(runner: Runner, rounds: int) -> dict[str, Any]:
    env = runner.env
    bench_release.timed(bench_release.raw_helm(bench_release.TAGS[0], env), env)
    # the install round brings every tag once: an image's migration Job runs once (its name carries the image),
    # and a fresh lab would otherwise time first migrations that raw helm, which runs none, does not pay for
    for tag in [*bench_release.TAGS[1:], bench_release.TAGS[0]]:
        runner.run("deploy (install round)", bench_release.playbook(tag, False))
    raw, play = [], []
    for i in range(rounds):
        tag = bench_release.TAGS[(i + 1) % len(bench_release.TAGS)]
        raw.append(bench_release.timed(bench_release.raw_helm(tag, env), env))
        play.append(runner.run("deploy", bench_release.playbook(tag, False)))
    r, p = statistics.median(raw), statistics.median(play)
    return {"raw_helm": raw, "playbook": play, "value": p - r, "detail": f"raw helm {r:.1f} s, playbook {p:.1f} s"}


def serve_the_platform(runner: Runner) -> dict[str, str]:
    """The lab's own release serving the reference chart's good tag (deployed first, untimed, when it does not):
    the smoke role, in the smoke measure and in rollback.yml's verification, checks the lab's routes, which lead to
    that release. The environment for runs that keep no task profile."""
    import bench_smoke

    env = {**runner.env}
    env.pop("BENCH_PROFILE", None)
    if bench_smoke.health_version() != bench_smoke.GOOD_TAG:
        print(f"   deploying {bench_smoke.GOOD_TAG} of the lab's release first (untimed)", flush=True)
        bench_smoke.Release(env).good()
    return env


def rollback(runner: Runner, rounds: int) -> dict[str, Any]:
    serve_the_platform(runner)
    name, namespace = bench_release.PLAY
    cmd = ["ansible-playbook", _playbook("rollback.yml"), "-i", str(ROOT / "inventories/lab")]
    cmd += ["-e", f"release_name={name}", "-e", f"release_namespace={namespace}", "-e", "report_gate=false"]
    times = []
    for _ in range(rounds):
        # a revision of new content to roll back from (untimed): a rollback is never rolled back by the next one,
        # so each round first deploys the first tag (nothing to do when it runs already) and then the second
        for tag in bench_release.TAGS:
            runner.run("rollback (the deploy before it)", bench_release.playbook(tag, False))
        times.append(runner.run("rollback", cmd))
    return {"rounds": times, "value": statistics.median(times)}


def fleet(runner: Runner, rounds: int) -> dict[str, Any]:
    inventory = ["-i", str(ROOT / "inventories/lab"), "-i", str(ROOT / "inventories/lab-fleet")]

    def cmd(tag: str, limit: str) -> list[str]:
        # the fleet's hosts name their own release and namespace (inventories/lab-fleet)
        return bench_release.playbook(tag, False, release=None) + inventory + ["--limit", limit, "--forks", "3"]

    # every environment through every tag once, untimed: the timed runs then do the same work whichever
    # environments they deploy (an image's migration Job runs once; a fresh lab would time first migrations)
    for tag in [*FLEET_TAGS[1:], FLEET_TAGS[0]]:
        runner.run("fleet (install round)", cmd(tag, "fleet"))
    one, three = [], []
    for i in range(rounds):
        # every timed run changes the tag of every environment it deploys: with three tags the one environment
        # never runs the tag the next three-environment round brings
        three.append(runner.run("fleet of 3", cmd(FLEET_TAGS[(2 * i + 1) % 3], "fleet")))
        one.append(runner.run("fleet of 1", cmd(FLEET_TAGS[(2 * i + 2) % 3], FLEET[0])))
    o, t = statistics.median(one), statistics.median(three)
    return {"one": one, "three": three, "value": t / o, "detail": f"one environment {o:.1f} s, three {t:.1f} s"}


def smoke(runner: Runner, rounds: int) -> dict[str, Any]:
    import bench_smoke

    env = serve_the_platform(runner)
    runs = [bench_smoke.run_once(env) for _ in range(rounds)]
    return {"rounds": [r["suite"] for r in runs], "value": statistics.median(r["suite"] for r in runs)}


MEASURES = {"pre_deploy": pre_deploy, "deploy": deploy, "rollback": rollback, "fleet": fleet, "smoke": smoke}


def slowest(profiles: list[dict[str, Any]], top: int = 8) -> list[tuple[str, float, float]]:
    """The tasks that took longest (wall, CPU), median over the runs of one measure; hosts of one run summed."""
    by_task: dict[str, list[tuple[float, float]]] = {}
    for run in profiles:
        seen: dict[str, tuple[float, float]] = {}
        for task in run.get("tasks", []):
            wall, cpu = seen.get(task["task"], (0.0, 0.0))
            seen[task["task"]] = (max(wall, task["seconds"]), cpu + task.get("cpu", 0.0))
        for label, times in seen.items():
            by_task.setdefault(label, []).append(times)
    ranked = [
        (label, statistics.median(t[0] for t in times), statistics.median(t[1] for t in times))
        for label, times in by_task.items()
    ]
    return sorted(ranked, key=lambda x: -x[1])[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(MEASURES), help="comma-separated measures")
    args = parser.parse_args()
    wanted = [m.strip() for m in args.only.split(",") if m.strip()]
    unknown = [m for m in wanted if m not in MEASURES]
    if unknown:
        parser.error(f"unknown measure(s): {', '.join(unknown)}; known: {', '.join(MEASURES)}")
    env = bench_release.lab_env()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as reports:
        runner = Runner(env, reports)
        for measure in wanted:
            print(f"== {measure} ...", flush=True)
            results[measure] = MEASURES[measure](runner, args.rounds)
            results[measure]["pass"] = results[measure]["value"] <= TARGETS[measure]
    print()
    print(f"{'measure':<12} {'median':>10}  {'target':<22} result")
    for measure, r in results.items():
        target = f"<= {TARGETS[measure]:g} {UNITS[measure]}"
        print(
            f"{measure:<12} {r['value']:>10.2f}  {target:<22} {'PASS' if r['pass'] else 'FAIL'}  {r.get('detail', '')}"
        )
    for measure, profiles in runner.profiles.items():
        if "round" in measure:
            continue
        wall = statistics.median(p["wall"] for p in profiles)
        cpu = statistics.median(p.get("cpu", 0.0) for p in profiles)
        print(f"\nslowest tasks, {measure} (median of {len(profiles)} run(s): {wall:.1f} s wall, {cpu:.1f} s CPU):")
        for label, seconds, _cpu in slowest(profiles):
            print(f"  {seconds:6.2f} s  {label[:110]}")
    out = ROOT / "reports" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"bench-{stamp}.json"
    path.write_text(
        json.dumps(
            {"targets": TARGETS, "results": results, "profiles": runner.profiles, "cpus": os.cpu_count()}, indent=1
        ),
        encoding="utf-8",
    )
    print(f"\nprofile and results: {path.relative_to(ROOT)}")
    return 0 if all(r["pass"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
