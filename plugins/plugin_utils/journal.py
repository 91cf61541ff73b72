# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run journal: evidence recorded so far, shared by the callback and the verdict task.

The evidence_report callback appends one JSON record a line as results arrive
and exports the journal's path in ENV_VAR, which task workers inherit; the
verdict action reads it back to decide go/no-go before the run ends.
Records never hold secret values: they are redacted before they are written.
"""

from __future__ import annotations

import json
import os
from typing import Any

ENV_VAR = "SMEPLATFORM_EVIDENCE_JOURNAL"


class JournalError(RuntimeError):
    pass


def append(path: str, record: dict[str, Any]) -> None:
    line = json.dumps(record, sort_keys=True, default=str)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()


def read(path: str) -> list[dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except OSError as exc:
        raise JournalError(f"cannot read the evidence journal {path}: {exc.strerror}") from exc


def current_path() -> str:
    path = os.environ.get(ENV_VAR)
    if not path:
        raise JournalError(
            "no evidence journal: enable the smeplatform.deploy.evidence_report callback "
            "(callbacks_enabled in ansible.cfg or ANSIBLE_CALLBACKS_ENABLED)"
        )
    return path
