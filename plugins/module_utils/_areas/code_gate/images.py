# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The code gate's checks on the images to deploy: provenance (1.2.2), scanned digests (1.3.5), registry policies
(8.2.2, 8.2.3)."""

from __future__ import annotations

from hashlib import sha256
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import scans
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.settings import REVISION_LABEL
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.view import GateView
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.preflight.registry import (
    MANIFEST_TYPES,
    Image,
    Registry,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError, ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Entries


class ImageChecks(GateView):
    """Items proven from the registry's image metadata and the CI's image scans."""

    def image_meta(self) -> dict[str, dict[str, Any]]:
        """Per image to deploy: its manifest digest and the labels of its config."""
        return self.memo.get("images", lambda: {i.ref: read_image(self.s.registry, i) for i in self.s.images})

    def provenance(self) -> dict[str, Any]:
        meta = self.image_meta()
        wrong = []
        measured = {}
        for ref, one in meta.items():
            revision = one["labels"].get(REVISION_LABEL)
            measured[ref] = {"digest": one["digest"], "revision": revision}
            if revision != self.sha:
                wrong.append(f"{ref} ({one['digest'][:19]}) has {REVISION_LABEL}={revision or '(none)'}")
        return passed_if(
            "1.2.2",
            bool(meta) and not wrong,
            measured=measured,
            threshold=f"every image to deploy carries {REVISION_LABEL}={self.sha}",
            detail=("images not built from " + f"{self.tag.name} ({self.sha[:12]}): " + "; ".join(wrong))
            if wrong
            else f"{len(meta)} image(s) built from {self.tag.name} ({self.sha[:12]})",
            where=self.s.registry.url if self.s.registry else "",
        )

    def image_scans(self) -> dict[str, Any]:
        if not self.s.images:
            return entry(
                "1.3.5",
                "failed",
                detail="no images to deploy were given: nothing to match scans against",
                where=self.s.github.where,
            )
        found = self.artifact(self.s.scan_artifact)
        if found is None:
            return self.no_artifact("1.3.5", self.s.scan_artifact, "Trivy JSON or SARIF")
        files, source = found
        results = scans.image_scans(files)
        by_digest = {d: r for r in results for d in r["digests"]}
        bad, measured = [], {}
        for ref, one in self.image_meta().items():
            scan = by_digest.get(one["digest"])
            if scan is None:
                bad.append(f"{ref}: digest {one['digest']} was not scanned")
                measured[ref] = {"digest": one["digest"], "scanned": False}
                continue
            blocking = {s: n for s, n in scan["counts"].items() if s in self.s.scan_fail_severities and n}
            measured[ref] = {"digest": one["digest"], "scanned": True, "file": scan["file"], "counts": scan["counts"]}
            if blocking:
                bad.append(f"{ref}: {', '.join(f'{n} {s}' for s, n in blocking.items())} finding(s)")
        return passed_if(
            "1.3.5",
            not bad,
            measured={**measured, **source},
            threshold=f"every image digest to deploy scanned, no {'/'.join(self.s.scan_fail_severities)} finding",
            detail="; ".join(bad)
            if bad
            else f"{len(measured)} image digest(s) scanned, no {'/'.join(self.s.scan_fail_severities)} finding",
            where=self.s.github.where,
        )

    def registry_policies(self) -> Entries:
        where = self.s.registry.url if self.s.registry else ""
        why = (
            "the registry is read over the OCI distribution API, which exposes no {what}; its owner signs this item off"
        )
        return [
            entry("8.2.2", "manual", detail=why.format(what="scan-on-push policy"), where=where),
            entry("8.2.3", "manual", detail=why.format(what="retention (cleanup) policy"), where=where),
        ]


def read_image(registry: Registry | None, image: Image) -> dict[str, Any]:
    """The manifest digest of image and the labels of its config (an index resolves to its linux/amd64 image)."""
    try:
        return _read_image(registry, image)
    except (ValueError, AttributeError, TypeError) as exc:
        raise ApiError(f"registry: {image.ref} has a malformed manifest or config ({exc})") from exc


def _read_image(registry: Registry | None, image: Image) -> dict[str, Any]:
    if registry is None:
        raise ConfigurationError("no registry to read the images from")
    scope = f"repository:{image.repository}:pull"
    answer = registry.authenticated(
        "GET", f"/v2/{image.repository}/manifests/{image.tag}", scope=scope, headers={"Accept": MANIFEST_TYPES}
    )
    if answer.status != 200:
        raise ApiError(f"registry {registry.url}: manifest of {image.ref} answered {answer.status}")
    digest = answer.header("docker-content-digest") or "sha256:" + sha256(answer.body).hexdigest()
    manifest = answer.json()
    if "manifests" in manifest:
        pick = next(
            (m for m in manifest["manifests"] if (m.get("platform") or {}).get("architecture") == "amd64"),
            (manifest["manifests"] or [None])[0],
        )
        if not pick:
            raise ApiError(f"registry {registry.url}: {image.ref} is an empty image index")
        answer = registry.authenticated(
            "GET", f"/v2/{image.repository}/manifests/{pick['digest']}", scope=scope, headers={"Accept": MANIFEST_TYPES}
        )
        manifest = answer.json()
    config_digest = (manifest.get("config") or {}).get("digest")
    if not config_digest:
        raise ApiError(f"registry {registry.url}: {image.ref} has no image config")
    blob = registry.authenticated("GET", f"/v2/{image.repository}/blobs/{config_digest}", scope=scope)
    if blob.status in (301, 302, 303, 307, 308):
        with registry._session() as session:  # the storage's signed URL: no registry credentials
            blob = session.request("GET", blob.header("location") or "")
    if blob.status != 200:
        raise ApiError(f"registry {registry.url}: config of {image.ref} answered {blob.status}")
    labels = ((blob.json().get("config") or {}).get("Labels")) or {}
    return {"digest": digest, "labels": labels}
