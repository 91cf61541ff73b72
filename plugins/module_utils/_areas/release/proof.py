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


def rollout_problems(rollout: list[dict[str, Any]], after: str) -> list[str]:
    """What keeps the release's workloads, measured after ``after``, from counting as rolled out."""
    problems = [] if rollout else [f"no workload of the release was measured after {after}"]
    late = [
        f"{w['kind']}/{w['name']} {w.get('ready', 0)}/{w.get('replicas', '?')} ready"
        for w in rollout
        if not w["complete"]
    ]
    if late:
        problems.append("not rolled out: " + ", ".join(late))
    return problems


def rollback_procedure_entry(
    item_id: str, name: str, namespace: str, revision: int, after: str, result: dict[str, Any], error: str | None
) -> dict[str, Any]:
    """An automatic rollback to ``revision`` after a failed ``after`` proves the rollback procedure only when,
    measured afterwards, every workload of the release rolled out and runs the images of that revision."""
    release = result.get("release") or {}
    how = "helm rollback to" if result.get("changed") else "helm --atomic had already restored"
    now = f", now revision {release['revision']}" if release.get("revision") is not None else ""
    rollout = result.get("rollout") or []
    wanted = list(result.get("target_images") or [])
    running = [image for w in rollout for image in (w.get("images") or [])]
    problems = []
    if error is not None:
        problems.append(error)
    else:
        problems += rollout_problems(rollout, "the rollback")
        if not wanted:
            problems.append(f"the images of revision {revision} are unknown")
        elif rollout and set(running) != set(wanted):
            problems.append(f"running {', '.join(sorted(set(running)))}, not the images of revision {revision}")
    ready = ", ".join(f"{w['kind']}/{w['name']} {w.get('ready', 0)}/{w.get('replicas', '?')}" for w in rollout)
    return entry(
        item_id,
        "failed" if problems else "passed",
        measured=", ".join(dict.fromkeys(running)) or (error or "nothing running"),
        threshold=f"every workload rolled out, running the images of revision {revision}"
        + (f" ({', '.join(wanted)})" if wanted else ""),
        detail=f"automatic rollback after a failed {after}: {how} revision {revision}{now}"
        + (f"; ready {ready}" if ready else "")
        + (f"; {'; '.join(problems)}" if problems else ""),
        where=f"{namespace}/{name}",
    )


def redeploy_entry(
    item_id: str,
    name: str,
    namespace: str,
    replaced: list[str] | None,
    rollout: list[dict[str, Any]],
    older: dict[int, list[str]],
    duration: float | None = None,
) -> dict[str, Any]:
    """A redeploy of previous image tags (rollback.2) passes when every workload rolled out, the images running
    differ from those it ``replaced`` (None: nothing was replaced by this run), and each image that runs was run
    by an earlier revision (``older``: revision -> its images, measured from helm's stored manifests)."""
    running = list(dict.fromkeys(image for w in rollout for image in (w.get("images") or [])))
    problems = rollout_problems(rollout, "the redeploy")
    if replaced is not None and running and set(running) == set(replaced):
        problems.append("the images running are those the redeploy was to replace")
    ran_before = {image: rev for rev, images in sorted(older.items()) for image in images}
    changed = [image for image in running if replaced is None or image not in replaced]
    unknown = [image for image in changed if image not in ran_before]
    if unknown:
        problems.append(
            f"{', '.join(unknown)} never ran in an earlier revision"
            + (f" (revisions {', '.join(map(str, sorted(older)))})" if older else " (no earlier revision kept)")
        )
    revisions = sorted({ran_before[image] for image in changed if image in ran_before})
    return entry(
        item_id,
        "failed" if problems else "passed",
        measured=", ".join(running) or "nothing running",
        threshold="rolled out, running images of an earlier revision instead of those replaced",
        detail="; ".join(problems)
        or f"running {', '.join(changed) or ', '.join(running)}, as revision(s) {', '.join(map(str, revisions))} did"
        + (f"; replaced {', '.join(replaced)}" if replaced else ""),
        where=f"{namespace}/{name}",
        duration=duration,
    )
