"""Every module documents the options its option table defines: same names, types, defaults, choices, no_log.

The option table (plugins/module_utils/_areas/<area>/options.py) is where a default is written; the
documentation (with its doc fragments) must say the same, so a changed default cannot leave the docs behind.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MODULES_DIR = Path(__file__).resolve().parents[4] / "plugins" / "modules"
AREA_MODULES = sorted(p.stem for p in MODULES_DIR.glob("*.py") if "entry.run_" in p.read_text(encoding="utf-8"))
AREA_OF = {
    p.stem: p.read_text(encoding="utf-8").split("plugins.module_utils._areas.")[1].split(" ")[0]
    for p in MODULES_DIR.glob("*.py")
    if p.stem in AREA_MODULES
}


@pytest.fixture(scope="module")
def documented():
    env = {**os.environ, "ANSIBLE_CONFIG": str(MODULES_DIR.parents[1] / "ansible.cfg")}
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "--json"]
        + [f"smeplatform.deploy.{m}" for m in AREA_MODULES],
        capture_output=True,
        text=True,
        check=True,
        cwd=MODULES_DIR.parents[1],
        env=env,
    )
    return {k.rsplit(".", 1)[1]: v["doc"] for k, v in json.loads(out.stdout).items()}


def _compare(where: str, spec: dict, docs: dict) -> list[str]:
    problems = []
    if set(spec) != set(docs):
        problems.append(
            f"{where}: undocumented {sorted(set(spec) - set(docs))}, unknown {sorted(set(docs) - set(spec))}"
        )
    for name in sorted(set(spec) & set(docs)):
        s, d = spec[name], docs[name]
        if s.get("type", "str") != d.get("type", "str"):
            problems.append(f"{where}.{name}: type {s.get('type', 'str')} documented as {d.get('type', 'str')}")
        if s.get("default") not in (None, [], {}) and s.get("default") != d.get("default"):
            problems.append(f"{where}.{name}: default {s.get('default')!r} documented as {d.get('default')!r}")
        if s.get("choices") and list(s["choices"]) != list(d.get("choices") or []):
            problems.append(f"{where}.{name}: choices {s['choices']} documented as {d.get('choices')}")
        if bool(s.get("required")) != bool(d.get("required")):
            problems.append(f"{where}.{name}: required {bool(s.get('required'))} documented otherwise")
        if s.get("options"):
            problems += _compare(f"{where}.{name}", s["options"], d.get("suboptions") or {})
    return problems


@pytest.mark.parametrize("name", AREA_MODULES)
def test_documentation_matches_the_option_table(name, documented):
    options = importlib.import_module(
        f"ansible_collections.smeplatform.deploy.plugins.module_utils._areas.{AREA_OF[name]}.options"
    )
    spec = getattr(options, name)()["argument_spec"]
    assert _compare(name, spec, documented[name]["options"]) == []
