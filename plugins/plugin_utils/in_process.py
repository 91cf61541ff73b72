# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one of the collection's modules inside the controller's worker process instead of a new Python.

The collection's hosts are environments reached from the controller (``ansible_connection: local`` with the
controller's own Python, as every inventory of the collection sets it). For such a host a module call costs a
new interpreter, the AnsiballZ payload built and compiled from source, and the module_utils imported again:
0.3-0.5 s of CPU per task, most of a check's time. Run in process, the same module code gets the same
arguments (the ones Ansible would send, ``_ansible_check_mode``, ``_ansible_no_log``, ``_ansible_diff`` and
the rest included), prints the same JSON, and its result goes through the same parsing as a module's output.

Anything else runs the module the ordinary way: another connection, another Python, ``become``, ``async``,
a task ``environment``, or ``SMEPLATFORM_MODULES_IN_PROCESS=0`` (the escape hatch when a module must be run
exactly as Ansible runs it, e.g. to compare).
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Any

from ansible.module_utils.common.json import Direction, get_module_encoder
from ansible.module_utils.common.text.converters import to_text
from ansible.vars.clean import remove_internal_keys

SWITCH = "SMEPLATFORM_MODULES_IN_PROCESS"
COLLECTION = "smeplatform.deploy"
PACKAGE = f"ansible_collections.{COLLECTION}.plugins.modules"
PROFILE = "legacy"
_ACTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "action")
_preloaded: set[str] = set()


def switched_off() -> bool:
    return os.environ.get(SWITCH, "1").strip().lower() in ("0", "false", "no", "off")


def _same_python(interpreter: Any) -> bool:
    if not isinstance(interpreter, str) or not interpreter:
        return False
    try:
        return os.path.realpath(interpreter) == os.path.realpath(sys.executable)
    except OSError:
        return False


def module_fqcn(action: Any) -> str:
    """The module the task runs, by its full name (a role may name it short, under ``collections``)."""
    return getattr(action._task, "resolved_action", None) or action._task.action


def eligible(action: Any, task_vars: dict[str, Any]) -> str:
    """Why the task must run the ordinary way ('' when it may run in process)."""
    if switched_off():
        return f"{SWITCH} is off"
    if not module_fqcn(action).startswith(f"{COLLECTION}."):
        return "the module is not the collection's"
    if getattr(action._connection, "transport", "") != "local" and action._play_context.connection != "local":
        return "the connection is not local"
    if action._task.async_val:
        return "the task is async"
    if action._play_context.become:
        return "the task uses become"
    environment: dict[str, str] = {}
    action._compute_environment_string(environment)
    if environment:
        return "the task sets an environment"
    interpreter = task_vars.get("ansible_python_interpreter")
    if interpreter is not None:
        try:
            interpreter = action._templar.template(interpreter)
        except Exception:  # an interpreter that does not template is Ansible's to report
            return "the interpreter does not template"
    if not _same_python(interpreter):
        return "the host's Python is not the controller's"
    return ""


def task_module(task: Any) -> str | None:
    """The full name of the module a task names (its resolved action names the action plugin it is routed to)."""
    action = getattr(task, "action", None)
    if not isinstance(action, str) or not action:
        return None
    if action.count(".") >= 2:
        return action
    from ansible.plugins.loader import module_loader

    try:
        found = module_loader.find_plugin_with_context(action, collection_list=getattr(task, "collections", None))
    except Exception:  # noqa: BLE001 - an unknown action is the worker's to report
        return None
    return found.resolved_fqcn if found.resolved else None


def preload(action: Any) -> bool:
    """Import, in the controller, the collection's module a task is about to run (and what it imports): the worker
    processes forked for that task, one per host, and for every later task then find it imported, instead of each
    importing it again. True when it was imported now. Modules with an action plugin of their own are not run here,
    and a module that does not import is left to its worker, which reports the error as it always would."""
    if not isinstance(action, str) or not action.startswith(f"{COLLECTION}.") or switched_off():
        return False
    short = action.rpartition(".")[2]
    if short in _preloaded:
        return False
    _preloaded.add(short)
    if os.path.exists(os.path.join(_ACTIONS, f"{short}.py")):
        return False
    try:
        from ansible.module_utils._internal._ansiballz import _loader  # noqa: F401 - what run() imports

        importlib.import_module(f"{PACKAGE}.{short}")
    except Exception:  # noqa: BLE001 - the worker imports it again and reports the error in the task's result
        return False
    finally:
        # what it imported stays; the module itself is run afresh as __main__, which runpy wants not yet imported
        sys.modules.pop(f"{PACKAGE}.{short}", None)
    return True


# What every worker's templating loads on its first filter, test or lookup: ansible-core's own plugin files and their
# wrappers (imports: 0.1-0.2 s of CPU over a 35-task deploy of one environment); loaded once in the controller,
# every worker inherits them.
_TEMPLATE_PLUGINS = (
    ("filter", "ansible.builtin.default"),
    ("test", "ansible.builtin.match"),
    ("lookup", "ansible.builtin.env"),
)
_templating_warm = False


def preload_templating() -> bool:
    """Load, in the controller and once a run, the template plugins that the workers' templating otherwise loads
    anew in every worker process. True when it was done now; a plugin that does not load is left to the worker."""
    global _templating_warm
    if _templating_warm or switched_off():
        return False
    _templating_warm = True
    from ansible.plugins import loader

    for kind, name in _TEMPLATE_PLUGINS:
        try:
            getattr(loader, f"{kind}_loader").get(name)
        except Exception:  # noqa: BLE001, S112 - the worker loads it as it always would, and reports what fails
            continue
    return True


_TMP_MARK = "_in_process_"
_IN_USE = ".in-use"
_KEPT = ".kept"  # ANSIBLE_KEEP_REMOTE_FILES: left for the operator to read


def remove_orphans(folder: str | None = None, grace: float = 60.0) -> list[str]:
    """Remove the temporary folders of module calls whose worker was killed (SIGKILL, an OOM kill: it ran no
    cleanup). A call holds a lock on its folder's ``.in-use`` file while it runs, so a folder whose lock can be
    taken is an orphan, whichever process (or process namespace) made it; one without the file yet is a call
    starting, left alone for ``grace`` seconds; one kept on purpose (``.kept``) stays. The removed folders' paths."""
    folder = folder or tempfile.gettempdir()
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(f"ansible_{COLLECTION}.") and _TMP_MARK in entry.name):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
            with open(os.path.join(entry.path, _IN_USE), "rb") as marker:
                fcntl.flock(marker, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except FileNotFoundError:
            try:
                kept = os.path.exists(os.path.join(entry.path, _KEPT))
                if kept or time.time() - entry.stat(follow_symlinks=False).st_mtime < grace:
                    continue
            except OSError:
                continue
        except OSError:  # locked: its call is running
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(entry.path)
    return removed


def run(action: Any, task_vars: dict[str, Any]) -> dict[str, Any]:
    """The module's result, parsed and cleaned as ActionBase._execute_module returns it."""
    module_name = module_fqcn(action)
    short = module_name.rpartition(".")[2]
    module_args = dict(action._task.args)
    action._update_module_args(module_name, module_args, task_vars)
    # The module's own temporary folder, removed here: a worker process ends without running the atexit
    # handlers a module process would run (named after the module, like the payload folder of a module process).
    # A killed worker removes nothing: its folder's lock is gone with it, and the next call removes the folder.
    remove_orphans()
    tmpdir = tempfile.mkdtemp(prefix=f"ansible_{COLLECTION}.{short}{_TMP_MARK}")
    in_use = open(os.path.join(tmpdir, _IN_USE), "wb")  # noqa: SIM115 - held for the whole call
    fcntl.flock(in_use, fcntl.LOCK_EX)
    module_args["_ansible_tmpdir"] = tmpdir
    encoder = get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)
    params = json.dumps({"ANSIBLE_MODULE_ARGS": module_args}, cls=encoder)
    # imported here: the controller needs the module side of Ansible only when a module runs in process
    from ansible.module_utils._internal._ansiballz import _loader

    out, err = io.StringIO(), io.StringIO()
    rc = 0
    saved_argv = list(sys.argv)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            _loader.run_module(
                json_params=to_text(params).encode("utf-8"),
                profile=PROFILE,
                module_fqn=f"{PACKAGE}.{short}",
                modlib_path="",
                extensions={},
            )
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv[:] = saved_argv
        if module_args.get("_ansible_keep_remote_files"):
            os.replace(os.path.join(tmpdir, _IN_USE), os.path.join(tmpdir, _KEPT))
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)
        in_use.close()
    data = action._parse_returned_data({"rc": rc, "stdout": out.getvalue(), "stderr": err.getvalue()}, PROFILE)
    data.pop("_ansible_suppress_tmpdir_delete", None)
    remove_internal_keys(data)
    return data
