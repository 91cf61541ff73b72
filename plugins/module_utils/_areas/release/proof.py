# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release's composite items, judged here from what the release modules measured: deployment step 2 (the
infrastructure: cluster credentials, the namespace's Pod Security level, the secrets the release needs) and
checklist 8.1.4 when an automatic rollback proves the rollback procedure."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry

PSA_ENFORCE = "pod-security.kubernetes.io/enforce"


def infrastructure_entry(
    item_id: str,
    namespace: str,
    labels: dict[str, str],
    pod_security: str,
    required_secrets: dict[str, bool],
    lock_held: bool,
    check_mode: bool,
) -> dict[str, Any]:
    """Step 2 passes when the namespace enforces the Pod Security level and every required Secret exists."""
    missing = [name for name, present in required_secrets.items() if not present]
    enforced = labels.get(PSA_ENFORCE, "")
    if check_mode:
        status = "skipped"
    else:
        status = "passed" if not missing and enforced == pod_security else "failed"
    return entry(
        item_id,
        status,
        measured=f"pod-security enforce={enforced or 'none'}; secrets missing: {', '.join(missing) or 'none'}",
        threshold=f"enforce={pod_security}; secrets present: {', '.join(required_secrets) or 'none required'}",
        detail=(
            f"cluster credentials accepted{' (deployment lock taken)' if lock_held else ''}; namespace {namespace} "
            f"labelled for Pod Security Admission {pod_security}{'; check mode: nothing changed' if check_mode else ''}"
        ),
        where=f"namespace {namespace}",
    )


def rollback_procedure_entry(
    item_id: str, name: str, namespace: str, revision: int, after: str, result: dict[str, Any], error: str | None
) -> dict[str, Any]:
    """An automatic rollback to ``revision`` after a failed ``after`` proves the rollback procedure, or fails it."""
    release = result.get("release") or {}
    how = "helm rollback to" if result.get("changed") else "helm --atomic had already restored"
    now = f", now revision {release['revision']}" if release.get("revision") is not None else ""
    return entry(
        item_id,
        "failed" if error is not None else "passed",
        measured=", ".join(release.get("images") or []) or (error or ""),
        threshold=f"the images of revision {revision}",
        detail=f"automatic rollback after a failed {after}: {how} revision {revision}{now}",
        where=f"{namespace}/{name}",
    )
