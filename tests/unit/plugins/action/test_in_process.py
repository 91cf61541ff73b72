"""The collection's modules run inside the controller's worker process on a local host with the controller's
Python, and give exactly the result they give as a separate module process; anything else runs the ordinary way."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from ansible_collections.smeplatform.deploy.plugins.plugin_utils import in_process

ROOT = Path(__file__).resolve().parents[4]
PASSWORD = "Reg1stry-pw-8d1f0c"  # noqa: S105 - a test value that must never reach any output


def fake_action(*, transport="local", async_val=0, become=False, environment=None, action="smeplatform.deploy.x"):
    task = SimpleNamespace(async_val=async_val, action=action, resolved_action=action)

    def compute(out):
        out.update(environment or {})
        return ""

    return SimpleNamespace(
        _connection=SimpleNamespace(transport=transport),
        _play_context=SimpleNamespace(connection=transport, become=become),
        _task=task,
        _templar=SimpleNamespace(template=lambda value: value),
        _compute_environment_string=compute,
    )


HERE = {"ansible_python_interpreter": sys.executable}
OTHER_PYTHON = "the host's Python is not the controller's"


def test_a_local_host_with_the_controllers_python_runs_in_process(monkeypatch):
    monkeypatch.delenv(in_process.SWITCH, raising=False)
    assert in_process.eligible(fake_action(), HERE) == ""


@pytest.mark.parametrize(
    ("action", "task_vars", "reason"),
    [
        (fake_action(transport="ssh"), HERE, "the connection is not local"),
        (fake_action(async_val=60), HERE, "the task is async"),
        (fake_action(become=True), HERE, "the task uses become"),
        (fake_action(environment={"HTTPS_PROXY": "http://proxy:3128"}), HERE, "the task sets an environment"),
        (fake_action(), {"ansible_python_interpreter": "/usr/bin/python2"}, OTHER_PYTHON),
        (fake_action(), {}, OTHER_PYTHON),
        (fake_action(action="kubernetes.core.k8s"), HERE, "the module is not the collection's"),
    ],
)
def test_anything_else_runs_as_a_module_process_saying_why(monkeypatch, action, task_vars, reason):
    monkeypatch.delenv(in_process.SWITCH, raising=False)
    assert in_process.eligible(action, task_vars) == reason


def test_the_switch_turns_it_off(monkeypatch):
    monkeypatch.setenv(in_process.SWITCH, "0")
    assert in_process.eligible(fake_action(), HERE) == f"{in_process.SWITCH} is off"


def test_every_module_without_its_own_action_is_routed_here():
    runtime = yaml.safe_load((ROOT / "meta/runtime.yml").read_text())
    routed = {
        name
        for name, entry in runtime["plugin_routing"]["modules"].items()
        if entry.get("action_plugin") == "smeplatform.deploy.in_process"
    }
    modules = {p.stem for p in (ROOT / "plugins/modules").glob("*.py") if p.stem != "__init__"}
    own_actions = {p.stem for p in (ROOT / "plugins/action").glob("*.py")}
    assert routed == modules - own_actions


def test_the_controller_imports_a_module_once_for_the_workers_it_forks(monkeypatch):
    """What the module imports is imported before the task's workers are forked; the module itself is left to be
    run as __main__ (runpy warns about a module imported before it runs)."""
    monkeypatch.delenv(in_process.SWITCH, raising=False)
    monkeypatch.setattr(in_process, "_preloaded", set())
    source = (ROOT / "plugins/modules/registry_check.py").read_text()
    imported = sorted(set(re.findall(r"^from (ansible_collections\.smeplatform\.deploy\.[\w.]+) import", source, re.M)))
    assert imported
    for name in imported:
        monkeypatch.delitem(sys.modules, name, raising=False)
    module = f"{in_process.PACKAGE}.registry_check"
    monkeypatch.delitem(sys.modules, module, raising=False)

    assert in_process.preload("smeplatform.deploy.registry_check") is True
    assert [name for name in imported if name not in sys.modules] == []
    assert module not in sys.modules
    assert in_process.preload("smeplatform.deploy.registry_check") is False  # once per run


@pytest.mark.parametrize(
    "action",
    [
        "smeplatform.deploy.verdict",
        "smeplatform.deploy.evidence",
        "ansible.builtin.copy",
        None,
        "smeplatform.deploy.gone",
    ],
)
def test_nothing_is_imported_for_a_task_that_does_not_run_a_module_here(monkeypatch, action):
    monkeypatch.delenv(in_process.SWITCH, raising=False)
    monkeypatch.setattr(in_process, "_preloaded", set())
    before = set(sys.modules)
    assert in_process.preload(action) is False
    assert {m for m in set(sys.modules) - before if m.startswith(in_process.PACKAGE)} == set()


def test_nothing_is_imported_ahead_with_the_switch_off(monkeypatch):
    monkeypatch.setenv(in_process.SWITCH, "off")
    monkeypatch.setattr(in_process, "_preloaded", set())
    assert in_process.preload("smeplatform.deploy.registry_check") is False


@pytest.mark.parametrize(
    ("action", "collections", "module"),
    [
        ("smeplatform.deploy.helm_release", None, "smeplatform.deploy.helm_release"),
        ("debug", None, "ansible.builtin.debug"),
        ("no_such_module_anywhere", None, None),
        (None, None, None),
    ],
)
def test_a_task_names_its_module_in_full_even_when_it_is_routed_to_this_action(action, collections, module):
    # a task's resolved action is the action plugin its module is routed to (smeplatform.deploy.in_process)
    task = SimpleNamespace(action=action, collections=collections, resolved_action="smeplatform.deploy.in_process")
    assert in_process.task_module(task) == module


# -- real runs of ansible-playbook, one way and the other ----------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PLAYBOOK = """
- hosts: env
  gather_facts: false
  tasks:
    - name: Check the registry
      smeplatform.deploy.registry_check:
        registry_url: "http://127.0.0.1:{port}"
        username: deployer
        password: "{password}"
        images: [{{repository: platform/backend, tag: v1.0.0}}]
        timeout: 2
      register: checked
      ignore_errors: true
    - name: A bad input
      smeplatform.deploy.registry_check:
        registry_url: "http://127.0.0.1:{port}"
        images: []
        timeout: not-a-number
      register: bad
      ignore_errors: true
"""


def run_playbook(
    tmp_path: Path, in_process_on: bool, port: int, *args: str, stdout_callback: str = "ansible.builtin.default"
) -> subprocess.CompletedProcess:
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK.format(port=port, password=PASSWORD))
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "hosts": {
                        "env": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                        }
                    }
                }
            }
        )
    )
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "SMEPLATFORM_REPORT_DIR": str(tmp_path / "reports"),
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_STDOUT_CALLBACK": stdout_callback,
        "TMPDIR": str(tmp),
        in_process.SWITCH: "1" if in_process_on else "0",
    }
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(playbook), *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120)


def results(proc: subprocess.CompletedProcess) -> dict[str, dict]:
    data, _end = json.JSONDecoder().raw_decode(proc.stdout)  # the checklist report's banner follows
    tasks = data["plays"][0]["tasks"]
    return {t["task"]["name"]: t["hosts"]["env"] for t in tasks}


def comparable(result: dict) -> dict:
    """What a task's result says, without what differs between any two runs (durations, the elapsed seconds)."""
    drop = {"_ansible_no_log", "duration", "elapsed", "started", "finished"}

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in drop and "seconds" not in k}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return clean(result)


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory):
    """(JSON run, -vvv --check --diff run, folder) with the modules in process (True) and as processes (False)."""
    out = {}
    port = closed_port()
    for on in (True, False):
        tmp_path = tmp_path_factory.mktemp("in-process" if on else "module-process")
        json_run = run_playbook(tmp_path, on, port, stdout_callback="ansible.builtin.json")
        assert json_run.returncode == 0, json_run.stdout[-2000:] + json_run.stderr[-2000:]
        verbose = run_playbook(tmp_path, on, port, "-vvv", "--check", "--diff")
        out[on] = (json_run, verbose, tmp_path)
    return out


def test_in_process_gives_the_module_processs_result(both_ways):
    inside, outside = results(both_ways[True][0]), results(both_ways[False][0])
    assert set(inside) == set(outside)
    for name in inside:
        assert comparable(inside[name]) == comparable(outside[name]), name
    checked = inside["Check the registry"]
    # the check really ran, and found the registry down
    assert {(e["id"], e["status"]) for e in checked["evidence"]} == {("8.2.1", "failed"), ("8.2.4", "failed")}
    assert all("Connection refused" in e["detail"] for e in checked["evidence"])


def test_a_bad_input_fails_naming_it_either_way(both_ways):
    for on in (True, False):
        bad = results(both_ways[on][0])["A bad input"]
        assert bad["failed"] and "timeout" in bad["msg"], bad


def test_the_verbose_output_says_which_way_the_module_ran(both_ways):
    assert "running in the controller's worker process" in both_ways[True][1].stdout
    assert f"running as a separate module process ({in_process.SWITCH} is off)" in both_ways[False][1].stdout


def test_no_secret_in_any_output_either_way(both_ways):
    for on in (True, False):
        json_run, verbose, _tmp = both_ways[on]
        for text in (json_run.stdout, json_run.stderr, verbose.stdout, verbose.stderr):
            assert PASSWORD not in text


def test_no_temporary_folder_is_left_behind(both_ways):
    _json_run, _verbose, tmp_path = both_ways[True]
    assert not list((tmp_path / "tmp").glob("ansible_smeplatform.deploy.*_in_process_*"))


HOLD = """
import fcntl, sys, time
marker = open(sys.argv[1], "wb")
fcntl.flock(marker, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(120)
"""


def call_folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / f"ansible_smeplatform.deploy.{name}_in_process_abc123"
    folder.mkdir()
    (folder / "payload").write_text("x")
    return folder


def hold(folder: Path) -> subprocess.Popen:
    """A worker running a call: it holds its folder's lock."""
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", HOLD, str(folder / ".in-use")], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_killed_workers_temporary_folder_is_removed_by_the_next_call(tmp_path):
    killed, running = call_folder(tmp_path, "helm_release"), call_folder(tmp_path, "smoke")
    starting, stale = call_folder(tmp_path, "preflight"), call_folder(tmp_path, "cluster")
    kept = call_folder(tmp_path, "secrets")
    (kept / ".kept").write_text("")
    os.utime(kept, (0, 0))
    os.utime(stale, (0, 0))  # no lock file and long past its start: its worker died before taking the lock
    other = tmp_path / "ansible_other.collection_in_process_x"
    other.mkdir()
    victim, alive = hold(killed), hold(running)
    try:
        victim.kill()  # SIGKILL: no cleanup ran
        victim.wait()
        removed = in_process.remove_orphans(str(tmp_path))
        assert sorted(removed) == sorted([str(killed), str(stale)])
        assert not killed.exists() and not stale.exists()
        assert running.exists() and starting.exists() and kept.exists() and other.exists()
    finally:
        alive.kill()
        alive.wait()
    assert in_process.remove_orphans(str(tmp_path)) == [str(running)]  # its worker gone now too


def test_template_plugins_are_loaded_once_before_the_workers_fork():
    """ansible-core's filter, test and lookup plugins are loaded in the controller; a worker forked afterwards that
    templates with them imports nothing more. A fresh Python, since this one may have loaded them already."""
    script = (
        "import sys\n"
        "from ansible.plugins.loader import filter_loader, init_plugin_loader, lookup_loader, test_loader\n"
        "init_plugin_loader([sys.argv[1]])  # as ansible-playbook does on start\n"
        "from ansible_collections.smeplatform.deploy.plugins.plugin_utils import in_process\n"
        "before = set(sys.modules)\n"
        "assert in_process.preload_templating() is True\n"
        "assert in_process.preload_templating() is False\n"
        "loaded = set(sys.modules) - before\n"
        "assert any('filter' in m for m in loaded) and any('lookup' in m for m in loaded), sorted(loaded)\n"
        "before = set(sys.modules)\n"
        "for name in ('ansible.builtin.default', 'ansible.builtin.bool', 'ansible.builtin.combine'):\n"
        "    assert filter_loader.get(name) is not None\n"
        "assert test_loader.get('ansible.builtin.match') is not None\n"
        "assert lookup_loader.get('ansible.builtin.env') is not None\n"
        "assert set(sys.modules) - before == set(), sorted(set(sys.modules) - before)\n"
    )
    here = Path(in_process.__file__)  # .../ansible_collections/smeplatform/deploy/plugins/plugin_utils/in_process.py
    collections = str(next(p.parent for p in here.parents if p.name == "ansible_collections"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([collections, *sys.path])}
    env.pop(in_process.SWITCH, None)
    cmd = [sys.executable, "-c", script, collections]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
