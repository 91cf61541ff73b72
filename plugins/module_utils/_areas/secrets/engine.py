# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Production secrets: generate, fingerprint, check and write the platform's Kubernetes Secret.

The platform reads one Secret through envFrom. This module keeps it:

- generated keys (JWT_SECRET, DATABASE_PASSWORD, ...) come from the operating system's CSPRNG at a set size and
  are kept once written; ``rotate`` replaces named ones;
- external keys (SendGrid, Twilio, Razorpay, AWS) come from the caller (Ansible Vault or the environment), are
  checked against production rules and, optionally, by their provider, and are written beside them;
- every key carries annotations with a salted HMAC-SHA256 fingerprint and the time its value was set, so that
  age, drift and reuse in another environment can be checked without showing a value;
- the Secret is written with one create or one resourceVersion-guarded replace: a run never leaves half a Secret.

Nothing here returns, logs or raises a value; every value read or made is handed to ``mask`` first."""

from __future__ import annotations

import datetime
import hmac
from collections.abc import Callable
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.keyring import (
    EXTERNAL_KEYS,
    FINGERPRINT_PREFIX,
    Mask,
    external_problems,
    find_duplicates,
    find_reuse,
    fingerprint_annotation,
    short,
    utcnow,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.plan import (
    Request,
    plan,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.proof import (
    build_evidence,
    check_providers,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.store import (
    diff,
    export_document,
    other_fingerprints,
    read_secret,
    would_export,
    write_export,
    write_secret,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    CheckFailed,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.sync import NONE, sync
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.sync import Plan as Change


class SecretsCheckFailed(CheckFailed):
    """A check failed before anything was written; carries the evidence gathered so far."""

    def __init__(self, message: str, evidence: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.evidence = evidence or []


def _problems_text(issues: dict[str, str]) -> str:
    return "; ".join(f"{key} {why}" for key, why in issues.items())


def run(
    request: Request,
    kube_factory: Callable[..., Any],
    mask: Mask,
    check_mode: bool = False,
    want_diff: bool = False,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Check the inputs, read the Secret, plan, check reuse, write once (unless check mode or verify)."""
    now = now or utcnow()
    ensure = request.mode == "ensure"
    configured = {option: value for option, value in request.external.items() if value}
    for value in configured.values():
        mask(value)
    if ensure and request.manage_external:
        issues = external_problems(configured, request.external_required)
        if issues:
            # Bad input stops the run before the cluster is even contacted.
            raise SecretsCheckFailed(
                "external keys are not fit for production, nothing was written: " + _problems_text(issues)
            )

    kube = kube_factory(None, None)
    where = f"Secret {request.namespace}/{request.name} at {kube.server}"
    current = read_secret(kube, request.namespace, request.name, mask)
    effective = {
        k.option: value for k in EXTERNAL_KEYS if (value := configured.get(k.option) or current.data.get(k.name))
    }
    issues = external_problems(effective, request.external_required) if request.manage_external else {}
    if not ensure and request.manage_external:
        for k in EXTERNAL_KEYS:
            wanted, held = configured.get(k.option), current.data.get(k.name)
            if k.name in issues or not wanted:
                continue
            if held is None:
                issues[k.name] = "is not in the Secret; run playbooks/generate_secrets.yml"
            elif not hmac.compare_digest(held.encode(), wanted.encode()):
                issues[k.name] = "in the Secret differs from the configured value; run playbooks/generate_secrets.yml"
    usable = {k.option: effective[k.option] for k in EXTERNAL_KEYS if k.option in effective and k.name not in issues}
    answers = check_providers(request, usable)
    refused = [a.detail for a in answers.values() if not a.accepted]
    if ensure and (issues or refused):
        raise SecretsCheckFailed(
            "external keys are not fit for production, nothing was written: "
            + "; ".join(([_problems_text(issues)] if issues else []) + refused)
        )

    result = plan(request, current, now, check_mode or not ensure)
    for value in result.data.values():
        if value:
            mask(value)

    final_values = {k: v for k, v in result.data.items() if v and k in request.managed}
    others = [other_fingerprints(c, kube, kube_factory, mask) for c in request.compare_with]
    compared = [c.label for c in request.compare_with]
    reuse = find_reuse(final_values, others)
    dupes = find_duplicates(final_values)
    evidence = build_evidence(request, result, where, check_mode, issues, answers, reuse, dupes, compared, now)
    if ensure and (reuse or dupes):
        problems = [f"{k} is reused in {', '.join(v)}" for k, v in sorted(reuse.items())]
        problems += [f"{k} holds the same value as {', '.join(v)}" for k, v in sorted(dupes.items())]
        generated = {g.name for g in request.generated}
        hint = [k for k in sorted(set(reuse) | set(dupes)) if k in generated]
        raise SecretsCheckFailed(
            "values must be unique to this environment, nothing was written: "
            + "; ".join(problems)
            + (f"; rotate them with rotate: [{', '.join(hint)}]" if hint else "")
            + ("; replace the external keys with this environment's own" if set(reuse) - generated else ""),
            evidence,
        )

    fingerprints = {
        k: fp
        for k in request.managed
        if (fp := result.annotations.get(fingerprint_annotation(k))) and fp.startswith(FINGERPRINT_PREFIX)
    }
    changed = result.changed and ensure

    def write(_change: Change) -> str:
        if request.create_namespace and not current.exists:
            k8s.ensure_namespace(kube, request.namespace)
        return write_secret(kube, request, current, result)

    resource_version = sync(Change("write" if changed else NONE), write, check_mode)["applied"]
    resource_version = resource_version or current.resource_version
    exported = False
    if request.export_fingerprints and ensure:
        path, document = request.export_fingerprints, export_document(request, result, fingerprints)
        export = Change("write" if would_export(path, document) else NONE)
        exported = sync(export, lambda _change: write_export(path, document), check_mode)["changed"]

    actions = result.actions
    out: dict[str, Any] = {
        "changed": changed or exported,
        "secret": {
            "name": request.name,
            "namespace": request.namespace,
            "server": kube.server,
            "resource_version": resource_version,
            "exists": current.exists or (changed and not check_mode),
        },
        "created": sorted(k for k, a in actions.items() if a == "created"),
        "rotated": sorted(k for k, a in actions.items() if a == "rotated"),
        "updated": sorted(k for k, a in actions.items() if a == "updated"),
        "kept": sorted(k for k, a in actions.items() if a == "kept"),
        "missing": sorted(k for k, a in actions.items() if a == "missing"),
        "due_for_rotation": result.due,
        "fingerprints": {k: short(v) for k, v in fingerprints.items()},
        "reused": reuse,
        "reasons": result.reasons if changed else [],
        "exported": exported,
        "evidence": evidence,
    }
    if want_diff:
        out["diff"] = diff(request, current, result, changed)
    return out
