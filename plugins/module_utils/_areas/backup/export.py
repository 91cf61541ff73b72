# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The configuration export (checklist 9.1.3): the release's values, ConfigMaps and Secret key names, written
with secret values redacted."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import UTC, datetime
from typing import Any

from ansible.module_utils.common.yaml import yaml_dump, yaml_dump_all, yaml_load, yaml_load_all

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup.cronjob import REDACTED
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import helm_release
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import SECRET_NAME_PATTERN

_SECRET_NAME_RE = re.compile(SECRET_NAME_PATTERN)


# ---------------------------------------------------------------- configuration export
def redact_values(value: Any, secret: bool = False) -> Any:
    """Values with secret-looking keys replaced, at any depth."""
    if isinstance(value, dict):
        return {k: redact_values(v, secret or bool(_SECRET_NAME_RE.search(str(k)))) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_values(v, secret) for v in value]
    if secret and value not in (None, "", {}, []):
        return REDACTED
    return value


def secret_keys_only(doc: dict[str, Any]) -> dict[str, Any]:
    if doc.get("kind") != "Secret":
        return doc
    doc = dict(doc)
    for field_name in ("data", "stringData"):
        if isinstance(doc.get(field_name), dict):
            doc[field_name] = {k: REDACTED for k in doc[field_name]}
    return doc


def export_files(
    release: dict[str, Any] | None, configmaps: list[dict[str, Any]], secrets: list[dict[str, Any]]
) -> dict[str, str]:
    """File name -> content of one configuration export (deterministic, so two exports compare equal)."""

    def dump(data: Any) -> str:
        return yaml_dump(data, sort_keys=True, default_flow_style=False)

    files: dict[str, str] = {}
    if release is not None:
        chart = (release.get("chart") or {}).get("metadata") or {}
        info = release.get("info") or {}
        files["release.yaml"] = dump(
            {
                "name": release.get("name"),
                "namespace": release.get("namespace"),
                "revision": release.get("version"),
                "status": info.get("status"),
                "deployed": info.get("last_deployed"),
                "chart": f"{chart.get('name')}-{chart.get('version')}",
                "app_version": chart.get("appVersion"),
            }
        )
        files["values.yaml"] = dump(redact_values(release.get("config") or {}))
        docs = [d for d in yaml_load_all(release.get("manifest") or "") if isinstance(d, dict)]
        files["manifest.yaml"] = yaml_dump_all([secret_keys_only(d) for d in docs], sort_keys=True)
    files["configmaps.yaml"] = dump({c["name"]: c["data"] for c in sorted(configmaps, key=lambda c: c["name"])})
    files["secret-keys.yaml"] = dump(
        {s["name"]: {"type": s["type"], "keys": sorted(s["keys"])} for s in sorted(secrets, key=lambda s: s["name"])}
    )
    return files


def latest_export(base: str) -> tuple[str | None, dict[str, str]]:
    """The newest export folder under ``base`` and its files."""
    if not os.path.isdir(base):
        return None, {}
    folders = sorted(d for d in os.listdir(base) if os.path.isdir(os.path.join(base, d)) and not d.startswith("."))
    if not folders:
        return None, {}
    newest = os.path.join(base, folders[-1])
    files = {}
    for name in os.listdir(newest):
        with open(os.path.join(newest, name), encoding="utf-8") as handle:
            files[name] = handle.read()
    return newest, files


def write_export(base: str, stamp: str, files: dict[str, str]) -> str:
    """Write a new export folder atomically (temporary folder, then rename); owner-only permissions."""
    os.makedirs(base, mode=0o700, exist_ok=True)
    target = os.path.join(base, stamp)
    work = tempfile.mkdtemp(prefix=".export-", dir=base)
    for name, content in files.items():
        path = os.path.join(work, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
    os.chmod(work, 0o700)
    # Another run may have exported in the same second (environments deployed side by side that share a release's
    # backups): the same files are that run's export, kept as it is; other files get a name of their own, which
    # sorts after it (latest_export takes the last name).
    candidate, taken = target, 1
    while True:
        try:
            os.rename(work, candidate)
            return candidate
        except OSError:
            if not os.path.isdir(candidate):
                shutil.rmtree(work, ignore_errors=True)
                raise
            if _holds(candidate, files):
                shutil.rmtree(work, ignore_errors=True)
                return candidate
            taken += 1
            candidate = f"{target}_{taken}"


def _holds(folder: str, files: dict[str, str]) -> bool:
    """The folder holds exactly these files with this content."""
    try:
        if sorted(os.listdir(folder)) != sorted(files):
            return False
        for name, content in files.items():
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                if handle.read() != content:
                    return False
    except OSError:
        return False
    return True


def export_stamp(revision: Any, now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{moment}-r{revision}" if revision is not None else moment


def export_revision(files: dict[str, str]) -> Any:
    if "release.yaml" not in files:
        return None
    return (yaml_load(files["release.yaml"]) or {}).get("revision")


# ---------------------------------------------------------------- Kubernetes side
def read_release(kube: Any, release: str, namespace: str) -> dict[str, Any] | None:
    """The newest deployed revision of a Helm release (storage driver: Secrets), or None."""
    return helm_release.deployed_release(kube, namespace, release)


def read_configmaps(kube: Any, namespace: str) -> list[dict[str, Any]]:
    items = k8s.items(kube, f"ConfigMaps in {namespace}", "v1", "configmaps", namespace)
    return [{"name": c["metadata"]["name"], "data": dict(c.get("data") or {})} for c in items]


def read_secret_keys(kube: Any, namespace: str) -> list[dict[str, Any]]:
    """Names, types and key names of the namespace's Secrets; values are dropped as soon as they are read."""
    items = k8s.items(kube, f"Secrets in {namespace}", "v1", "secrets", namespace)
    return [
        {"name": s["metadata"]["name"], "type": s.get("type"), "keys": sorted((s.get("data") or {}).keys())}
        for s in items
        if s.get("type") != "helm.sh/release.v1"
    ]


def config_backup_entry(base: str, release: dict[str, Any] | None, where: str) -> dict[str, Any]:
    """9.1.3 in verify runs: the newest export under ``base`` covers the revision running now."""
    path, files = latest_export(base)
    live_revision = release.get("version") if release else None
    exported = export_revision(files)
    threshold = "a configuration export of the deployed revision"
    if release is None:
        return entry(
            "9.1.3",
            "skipped",
            measured={"export": path},
            threshold=threshold,
            where=where,
            detail="no release deployed yet: nothing to back up",
        )
    return passed_if(
        "9.1.3",
        path is not None and exported == live_revision,
        measured={"export": path, "exported_revision": exported, "deployed_revision": live_revision},
        threshold=threshold,
        detail=f"newest export {os.path.basename(path)}" if path else f"no export under {base}",
        where=where,
    )
