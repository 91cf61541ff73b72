"""Shared fixtures of the lab integration tests: where the lab's servers are.

Connection settings come from the environment (``eval "$(tests/lab/lab.sh env)"``)
and, for anything not set there, from each component's ``lab.sh env``; those
print paths and addresses only, never secret values.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
COMPONENTS = ("tls", "k8s", "data", "edge")


def parse_exports(text: str, base: dict[str, str]) -> dict[str, str]:
    """The ``export NAME=value`` lines of a ``lab.sh env`` output, $PATH expanded."""
    found = {}
    for line in text.splitlines():
        if not line.startswith("export "):
            continue
        name, _unused, raw = line[len("export ") :].partition("=")
        value = " ".join(shlex.split(raw))
        found[name] = value.replace("$PATH", base.get("PATH", ""))
    return found


@pytest.fixture(scope="session")
def lab_env() -> dict[str, str]:
    """os.environ completed with every lab component's ``lab.sh env``."""
    env = dict(os.environ)
    for component in COMPONENTS:
        script = REPO / "tests" / "lab" / component / "lab.sh"
        if not script.exists():
            continue
        out = subprocess.run(["bash", str(script), "env"], capture_output=True, text=True, timeout=60, check=False)
        if out.returncode != 0:
            continue
        for name, value in parse_exports(out.stdout, env).items():
            if name == "PATH":
                env[name] = value  # "<lab tool dirs>:$PATH", already expanded
            else:
                env.setdefault(name, value)
    return env


@pytest.fixture(scope="session")
def lab_require(lab_env: dict[str, str]) -> Callable[..., list[str]]:
    """lab_require("NAME", ...) -> their values; fails clearly when one is missing."""

    def require(*names: str) -> list[str]:
        missing = [n for n in names if not lab_env.get(n)]
        if missing:
            pytest.fail(
                f"lab setting(s) {', '.join(missing)} not set: start the lab (make lab-up, or "
                "tests/lab/<component>/lab.sh up) and export its settings with "
                'eval "$(tests/lab/<component>/lab.sh env)"',
                pytrace=False,
            )
        return [lab_env[n] for n in names]

    return require
