#!/usr/bin/env python3
"""Push the lab's platform images into the lab registry, without docker.

Each image is a real, minimal Docker image manifest v2 schema 2: an image
config blob, one gzipped tar layer holding /VERSION and /IMAGE, and the
manifest. The content is deterministic (fixed mtimes, no gzip timestamp), so
every run computes the same digests and a tag already pointing at the right
manifest is left alone: the script is idempotent.

Tag conventions used by the lab (see the kwok stages and the platform
stand-in): v0.9.0, v1.0.0, v1.1.0 are good releases, *-unready never becomes
Ready, *-faulty becomes Ready but fails health checks.

With --app-repo, each image carries the commit its tag names in the lab's application repository
(tests/lab/data/app_repo.py) as the OCI label org.opencontainers.image.revision, as a CI build stamps it;
tags without a git tag carry no revision.

Standard library only, so it runs before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import json
import sys
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

REPOSITORIES = ("sme-platform/backend", "sme-platform/frontend")
TAGS = ("v0.9.0", "v1.0.0", "v1.1.0", "v1.2.0-unready", "v1.2.0-faulty")

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
CREATED = "2024-01-01T00:00:00Z"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_for(repository: str, tag: str) -> tuple[bytes, bytes]:
    """Return (uncompressed tar, gzipped tar) for one image's single layer."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, text in (("VERSION", tag), ("IMAGE", f"{repository}:{tag}")):
            body = (text + "\n").encode()
            info = tarfile.TarInfo(name)
            info.size = len(body)
            info.mtime = 1704067200
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(body))
    tar_bytes = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as fh:
        fh.write(tar_bytes)
    return tar_bytes, gz.getvalue()


def config_for(repository: str, tag: str, diff_id: str, revision: str = "") -> bytes:
    labels = {
        "org.opencontainers.image.title": repository,
        "org.opencontainers.image.version": tag,
        "org.opencontainers.image.source": "smeplatform.deploy lab",
    }
    if revision:
        labels["org.opencontainers.image.revision"] = revision
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": CREATED,
        "config": {
            "Env": [f"APP_VERSION={tag}"],
            "Cmd": ["/bin/true"],
            "Labels": labels,
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": CREATED, "created_by": "tests/lab/data/push_images.py"}],
    }
    return json.dumps(config, sort_keys=True, separators=(",", ":")).encode()


class Registry:
    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base.rstrip("/")
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.auth = f"Basic {token}"

    def request(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        url = path if path.startswith("http") else self.base + path
        req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - base is always http://<registry>
        req.add_header("Authorization", self.auth)
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - same http:// URL
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def has_blob(self, repository: str, digest: str) -> bool:
        status, _, _ = self.request("HEAD", f"/v2/{repository}/blobs/{digest}")
        return status == 200

    def push_blob(self, repository: str, data: bytes) -> str:
        digest = sha256(data)
        if self.has_blob(repository, digest):
            return digest
        status, headers, body = self.request("POST", f"/v2/{repository}/blobs/uploads/")
        if status != 202:
            raise RuntimeError(f"starting upload to {repository}: HTTP {status} {body[:200]!r}")
        location = headers.get("Location") or headers.get("location")
        if not location:
            raise RuntimeError(f"registry gave no upload location for {repository}")
        if location.startswith("/"):
            location = self.base + location
        sep = "&" if "?" in location else "?"
        status, _, body = self.request(
            "PUT",
            f"{location}{sep}digest={digest}",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        if status != 201:
            raise RuntimeError(f"uploading {digest} to {repository}: HTTP {status} {body[:200]!r}")
        return digest

    def manifest_digest(self, repository: str, tag: str) -> str | None:
        status, headers, _ = self.request(
            "HEAD", f"/v2/{repository}/manifests/{tag}", headers={"Accept": MANIFEST_TYPE}
        )
        if status != 200:
            return None
        return headers.get("Docker-Content-Digest") or headers.get("docker-content-digest")

    def put_manifest(self, repository: str, tag: str, manifest: bytes) -> None:
        status, _, body = self.request(
            "PUT",
            f"/v2/{repository}/manifests/{tag}",
            data=manifest,
            headers={"Content-Type": MANIFEST_TYPE},
        )
        if status != 201:
            raise RuntimeError(f"pushing {repository}:{tag}: HTTP {status} {body[:200]!r}")


def image_blobs(repository: str, tag: str, revision: str = "") -> tuple[bytes, bytes, bytes, bytes]:
    """(layer tar, gzipped layer, config, manifest) of one image: the same bytes on every run."""
    tar_bytes, layer = layer_for(repository, tag)
    config = config_for(repository, tag, sha256(tar_bytes), revision)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": CONFIG_TYPE, "size": len(config), "digest": sha256(config)},
            "layers": [{"mediaType": LAYER_TYPE, "size": len(layer), "digest": sha256(layer)}],
        },
        indent=3,
    ).encode()
    return tar_bytes, layer, config, manifest


def push_image(registry: Registry, repository: str, tag: str, revision: str = "") -> bool:
    """Push one image; return True when the tag was created or moved."""
    _tar, layer, config, manifest = image_blobs(repository, tag, revision)
    if registry.manifest_digest(repository, tag) == sha256(manifest):
        return False
    registry.push_blob(repository, layer)
    registry.push_blob(repository, config)
    registry.put_manifest(repository, tag, manifest)
    if registry.manifest_digest(repository, tag) != sha256(manifest):
        raise RuntimeError(f"{repository}:{tag} does not resolve to the pushed manifest")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", required=True, help="host:port, plain HTTP")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password-file", required=True)
    parser.add_argument("--app-repo", help="output folder of app_repo.py: images carry their tag's commit")
    args = parser.parse_args()
    revisions: dict[str, str] = {}
    if args.app_repo:
        import app_repo  # beside this file

        revisions = app_repo.revisions(Path(args.app_repo))
    with open(args.password_file, encoding="utf-8") as fh:
        password = fh.read().strip()
    registry = Registry(f"http://{args.registry}", args.username, password)
    pushed = 0
    for repository in REPOSITORIES:
        for tag in TAGS:
            if push_image(registry, repository, tag, revisions.get(tag, "")):
                pushed += 1
    total = len(REPOSITORIES) * len(TAGS)
    print(
        f"[lab/data] registry: {pushed} of {total} image tags pushed, {total - pushed} already current", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
