# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: evidence_report
type: aggregate
short_description: Write the filled-in production checklist at the end of every run
description:
  - Collects the evidence entries that tasks return under the C(evidence) result key, each naming a checklist
    catalogue item, and the tasks that failed.
  - At the end of the run writes C(<report_dir>/<environment>-<UTC timestamp>.md), C(.json) and C(.xml) (JUnit)
    with every catalogue item as passed, failed, skipped, manual or not run, its evidence, its duration and a
    GO / NO-GO verdict.
  - Keeps a journal of the evidence recorded so far, whose path it exports to tasks, so that
    M(smeplatform.deploy.verdict) can gate the run on the same verdict.
  - Also writes C(.html), one static page with the measured series plotted, and keeps
    C(<report_dir>/<environment>-index.html), the runs of the environment over time.
  - The verdict holds the run to its scope, which the verdict task of M(smeplatform.deploy.verdict) declares
    (C(report_scope) of the report role); a run that declared none, or was interrupted, is NO-GO.
  - A run interrupted before its end (Ctrl-C, a killed controller) still gets its report, at exit when the
    process can still write it, otherwise from its journal at the start of the next run in the same
    C(report_dir).
  - Values of variables whose names look secret are masked in every report, with their base64 and hex forms.
version_added: 0.1.0
requirements:
  - enable in C(callbacks_enabled)
options:
  report_dir:
    description: Folder the reports are written to; created when missing.
    type: path
    default: reports
    env:
      - name: SMEPLATFORM_REPORT_DIR
    ini:
      - section: smeplatform_evidence_report
        key: report_dir
  environment:
    description:
      - Name of the environment in the report's file name and title.
      - When not set, the variable C(smeplatform_environment) of the play's first host is used, then the name
        of the inventory's folder.
    type: str
    env:
      - name: SMEPLATFORM_ENVIRONMENT
    ini:
      - section: smeplatform_evidence_report
        key: environment
  catalogue:
    description: Path of the checklist catalogue; the collection's own C(checklist/catalogue.yml) by default.
    type: path
    env:
      - name: SMEPLATFORM_CATALOGUE
    ini:
      - section: smeplatform_evidence_report
        key: catalogue
  secret_var_pattern:
    description: Regular expression; string values of host variables whose names match it are masked in reports.
    type: str
    default: '(?i)(password|passwd|secret(?!s|_?name|_?ref|_?key_?ref)|token|api_?key|private_?key|credential|_auth)'
    env:
      - name: SMEPLATFORM_SECRET_VAR_PATTERN
    ini:
      - section: smeplatform_evidence_report
        key: secret_var_pattern
"""

import atexit
import datetime
import glob
import json
import os
import re
import time
from typing import Any

from ansible.plugins.callback import CallbackBase

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release.lock import process_alive
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import RESULT_KEY
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import Redactor, secret_strings
from ansible_collections.smeplatform.deploy.plugins.plugin_utils import html_report, in_process, journal
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import (
    DEFAULT_PATH,
    Catalogue,
    CatalogueError,
)
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.report import (
    RunLog,
    build,
    render_json,
    render_junit,
    render_markdown,
)


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


_JOURNAL_NAME = re.compile(r"^\.journal-(\d+)-(\d+)\.jsonl$")


def write_report(report_dir: str, report: dict[str, Any], redactor: Redactor, stamp: datetime.datetime) -> str:
    """Write the report's files and the environment's index; return the path without suffix."""
    os.makedirs(report_dir, exist_ok=True)
    name = f"{report['environment']}-{stamp.strftime('%Y%m%dT%H%M%SZ')}"
    # A run that ends in the same second as an earlier one of the environment gets a name of its own, which sorts
    # after the earlier one ("_" after the "." of the suffix), as the runs' names sort by time.
    taken = 1
    while os.path.exists(os.path.join(report_dir, name + ".json")):
        taken += 1
        name = f"{report['environment']}-{stamp.strftime('%Y%m%dT%H%M%SZ')}_{taken}"
    base = os.path.join(report_dir, name)
    # the run id is the report's name: a later run names it to say which run it follows
    report["run_id"] = report.get("run_id") or name
    renderings = (
        (".md", render_markdown),
        (".json", render_json),
        (".xml", render_junit),
        (".html", html_report.render_html),
    )
    for suffix, render in renderings:
        with open(base + suffix, "w", encoding="utf-8") as handle:
            handle.write(render(report, redactor))
    # the index's data (JSON), named so that no *.json glob over the reports takes it for a report
    runs_path = os.path.join(report_dir, f".{report['environment']}-index.data")
    try:
        with open(runs_path, encoding="utf-8") as handle:
            runs = [run for run in json.load(handle) if run.get("page") != name + ".html"]
    except (OSError, ValueError):
        runs = []
    runs.append(html_report.run_summary(redactor.data(report), name + ".html"))
    with open(runs_path, "w", encoding="utf-8") as handle:
        json.dump(runs, handle, indent=1)
    with open(os.path.join(report_dir, f"{report['environment']}-index.html"), "w", encoding="utf-8") as handle:
        handle.write(redactor.text(html_report.render_index(report["environment"], runs)))
    return base


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "smeplatform.deploy.evidence_report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._log = RunLog()
        self._redactor = Redactor()
        self._journal: str | None = None
        self._task_started: dict[str, float] = {}
        self._started = _utc_now()
        self._environment: str | None = None
        self._last_task = ""
        self._finished = False
        self._catalogue_error = ""
        atexit.register(self._write_if_interrupted)

    # -- run lifecycle -----------------------------------------------------------------
    def v2_playbook_on_start(self, playbook: Any) -> None:
        self._log.playbooks.append(os.path.basename(playbook._file_name))
        if self._journal is None:
            report_dir = self._report_dir()
            os.makedirs(report_dir, exist_ok=True)
            self._recover_interrupted(report_dir)
            self._journal = os.path.join(report_dir, f".journal-{os.getpid()}-{int(time.time())}.jsonl")
            open(self._journal, "w", encoding="utf-8").close()
            os.environ[journal.ENV_VAR] = self._journal
        self._write({"kind": "run", "playbook": self._log.playbooks[-1], "started": self._stamp(self._started)})

    def v2_playbook_on_play_start(self, play: Any) -> None:
        try:
            variable_manager = play.get_variable_manager()
            inventory = variable_manager._inventory
            hosts = inventory.get_hosts(play.hosts)
        except Exception:  # the report must not break a run over metadata
            return
        pattern = self.get_option("secret_var_pattern")
        for host in hosts:
            host_vars = variable_manager.get_vars(play=play, host=host, include_hostvars=False)
            # Results registered by earlier plays are already censored by their modules, and their keys (a
            # Secret's "namespace" under "secret") would mask plain words: look only at what was configured.
            registered = set(getattr(variable_manager, "_nonpersistent_fact_cache", {}).get(host.name, {}))
            configured = {k: v for k, v in host_vars.items() if k not in registered and k != "vars"}
            for value in secret_strings(configured, pattern):
                self._redactor.add(value)
            if self._environment is None and isinstance(host_vars.get("smeplatform_environment"), str):
                self._environment = host_vars["smeplatform_environment"]
        if self._environment is None and getattr(inventory, "_sources", None):
            source = os.path.abspath(inventory._sources[0])
            folder = source if os.path.isdir(source) else os.path.dirname(source)
            self._environment = os.path.basename(folder.rstrip(os.sep))
        if self._environment:
            self._write({"kind": "run", "environment": self.get_option("environment") or self._environment})

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        self._task_started[task._uuid] = time.monotonic()
        self._last_task = task.get_name()
        # before the task's worker processes are forked from this one: they, and later tasks', inherit the module
        in_process.preload(in_process.task_module(task))
        in_process.preload_templating()

    def v2_playbook_on_handler_task_start(self, task: Any) -> None:
        self._task_started[task._uuid] = time.monotonic()

    # -- results -----------------------------------------------------------------------
    def v2_runner_on_ok(self, result: Any) -> None:
        self._record(result)
        self._record_scope(result)

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._record(result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._record(result)
        self._record_scope(result)
        # a NO-GO of the verdict task is the verdict itself, not one more reason for it
        gate = result._task.action in ("smeplatform.deploy.verdict", "verdict") and "decision" in result._result
        if not ignore_errors and not gate:
            res = result._result
            msg = res.get("msg") or res.get("stderr") or "failed"
            self._write(
                {
                    "kind": "task_failed",
                    "host": result._host.get_name(),
                    "task": result._task.get_name(),
                    "msg": str(msg).strip().splitlines()[0][:500] if str(msg).strip() else "failed",
                }
            )

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._write(
            {
                "kind": "task_failed",
                "host": result._host.get_name(),
                "task": result._task.get_name(),
                "msg": f"unreachable: {result._result.get('msg', '')}",
            }
        )

    def _record(self, result: Any) -> None:
        res = result._result
        entries = res.get(RESULT_KEY)
        if not isinstance(entries, list) and isinstance(res.get("results"), list):
            entries = [e for r in res["results"] if isinstance(r, dict) for e in (r.get(RESULT_KEY) or [])]
        if not isinstance(entries, list) or not entries:
            return
        started = self._task_started.get(result._task._uuid)
        duration = time.monotonic() - started if started is not None else None
        for entry in entries:
            self._write(
                {
                    "kind": "evidence",
                    "host": result._host.get_name(),
                    "task": result._task.get_name(),
                    "task_duration": duration,
                    "entry": entry,
                }
            )

    def _record_scope(self, result: Any) -> None:
        scope = result._result.get("scope")
        if result._task.action in ("smeplatform.deploy.verdict", "verdict") and isinstance(scope, dict):
            self._write({"kind": "scope", **scope})

    def _write(self, record: dict[str, Any]) -> None:
        record = self._redactor.data(record)
        self._log.add_record(record)
        if self._journal:
            journal.append(self._journal, record)

    # -- the report --------------------------------------------------------------------
    def _report_dir(self) -> str:
        return os.path.abspath(os.path.expanduser(self.get_option("report_dir")))

    @staticmethod
    def _stamp(moment: datetime.datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _catalogue(self) -> Catalogue | None:
        try:
            return Catalogue.load(self.get_option("catalogue") or DEFAULT_PATH)
        except CatalogueError as exc:
            self._display.error(f"evidence report not written: {exc}")
            return None

    def v2_playbook_on_stats(self, stats: Any) -> None:
        self._finish()

    def _finish(self, interrupted: str = "") -> None:
        self._finished = True
        finished = _utc_now()
        self._log.environment = self.get_option("environment") or self._environment or "unknown"
        self._log.started = self._stamp(self._started)
        self._log.finished = self._stamp(finished)
        self._log.interrupted = interrupted
        catalogue = self._catalogue()
        if catalogue is None:
            return
        report = build(catalogue, self._log)
        base = write_report(self._report_dir(), report, self._redactor, finished)
        if self._journal and os.path.exists(self._journal):
            os.unlink(self._journal)
        summary = report["summary"]
        counts = ", ".join(f"{summary[k]} {k}" for k in ("passed", "failed", "skipped", "manual", "not run"))
        verdict = report["verdict"]["decision"]
        color = "green" if verdict == "GO" else "red"
        self._display.banner("CHECKLIST REPORT")
        self._display.display(f"verdict: {verdict} ({counts})", color=color)
        for reason in report["verdict"]["reasons"][:10]:
            self._display.display(f"  - {self._redactor.text(reason)}", color=color)
        for host, one in report["hosts"].items():
            first = f": {self._redactor.text(one['reasons'][0])[:200]}" if one["reasons"] else ""
            self._display.display(
                f"host {host}: {one['decision']}{first}", color="green" if one["decision"] == "GO" else "red"
            )
        self._display.display(f"report: {base}.md (.json, .xml, .html)")

    def _write_if_interrupted(self) -> None:
        """At exit: a run that ended without its stats (Ctrl-C, an abort) still leaves its report."""
        if self._finished or self._journal is None or not os.path.exists(self._journal):
            return
        try:
            self._finish(f"ansible-playbook ended before the end of the run, during task {self._last_task!r}")
        except Exception as exc:  # at exit nothing may raise; the next run recovers from the journal
            self._display.warning(f"evidence report of the interrupted run not written: {exc}")

    def _recover_interrupted(self, report_dir: str) -> None:
        """Write the report of each earlier run in this folder whose process died before writing it."""
        for path in sorted(glob.glob(os.path.join(report_dir, ".journal-*.jsonl"))):
            match = _JOURNAL_NAME.match(os.path.basename(path))
            if not match or process_alive(int(match.group(1))):
                continue
            catalogue = self._catalogue()
            if catalogue is None:
                return
            log = RunLog()
            last_task = ""
            try:
                records = journal.read(path)
            except journal.JournalError:
                records = []
            for record in records:
                if record.get("kind") == "run":
                    log.environment = record.get("environment") or log.environment
                    if record.get("playbook"):
                        log.playbooks.append(record["playbook"])
                        log.started = log.started or record.get("started", "")
                else:
                    log.add_record(record)
                last_task = record.get("task") or last_task
            stopped = datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.UTC)
            log.finished = self._stamp(stopped)
            log.interrupted = (
                f"its process (pid {match.group(1)}) stopped before the end of the run"
                + (f", after task {last_task!r}" if last_task else "")
                + "; this report was written from its journal by the next run"
            )
            base = write_report(report_dir, build(catalogue, log), self._redactor, stopped)
            os.unlink(path)
            self._display.warning(f"an earlier run in {report_dir} was interrupted: its report is {base}.md (NO-GO)")
