# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container registry checks (8.2.1 images to deploy exist, 8.2.4 access secured) over the OCI distribution API."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession, basic_auth, join_url
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError, ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, Entries, run_checks

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
_CHALLENGE_RE = re.compile(r'(\w+)="([^"]*)"')
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class Image:
    repository: str
    tag: str

    @property
    def ref(self) -> str:
        return f"{self.repository}:{self.tag}"


def parse_images(raw: list[dict[str, str]]) -> list[Image]:
    images = []
    for item in raw:
        repository, tag = (item.get("repository") or "").strip("/"), item.get("tag") or ""
        if not repository or not _TAG_RE.match(tag):
            raise ConfigurationError(f"image {item!r}: needs a repository and a valid tag")
        images.append(Image(repository, tag))
    return images


class Registry:
    """A registry client: basic credentials, or a bearer token from the realm the registry names."""

    def __init__(self, url: str, username: str | None, password: str | None, session: Callable[[], HttpSession]):
        self.url = url.rstrip("/")
        self.username = username
        self.password = password
        self._session = session

    def _request(self, method: str, path: str, headers: dict[str, str] | None = None) -> Any:
        with self._session() as session:
            return session.request(method, join_url(self.url, path), headers=headers or {})

    def anonymous(self) -> Any:
        return self._request("GET", "/v2/")

    def _authorization(self, challenge: str, scope: str) -> dict[str, str]:
        if not self.username:
            return {}
        scheme = challenge.split(" ", 1)[0].lower()
        if scheme == "basic":
            return {"Authorization": basic_auth(self.username, self.password or "")}
        if scheme == "bearer":
            params = dict(_CHALLENGE_RE.findall(challenge))
            realm = params.pop("realm", "")
            if not realm:
                raise ApiError(f"registry {self.url} asked for a bearer token without a realm")
            if scope:
                params["scope"] = scope
            with self._session() as session:
                answer = session.request(
                    "GET",
                    realm + "?" + urlencode(params),
                    headers={"Authorization": basic_auth(self.username, self.password or "")},
                )
            if answer.status != 200:
                raise ApiError(f"token service {realm} refused the credentials of {self.username}: {answer.status}")
            body = answer.json()
            return {"Authorization": "Bearer " + (body.get("token") or body.get("access_token") or "")}
        return {}

    def authenticated(self, method: str, path: str, scope: str = "", headers: dict[str, str] | None = None) -> Any:
        """Request with credentials, answering the registry's challenge once."""
        first = self._request(method, path, headers)
        if first.status != 401:
            return first
        auth = self._authorization(first.header("www-authenticate") or "", scope)
        if not auth:
            return first
        return self._request(method, path, {**(headers or {}), **auth})


def access_entry(registry: Registry) -> dict[str, Any]:
    anonymous = registry.anonymous()
    signed = registry.authenticated("GET", "/v2/", scope="registry:catalog:*") if registry.username else None
    scheme = registry.url.split(":", 1)[0]
    ok = anonymous.status == 401 and (signed is None or signed.status == 200)
    detail = f"anonymous GET /v2/ -> {anonymous.status}"
    if signed is not None:
        detail += f"; as {registry.username} -> {signed.status}"
    if scheme != "https":
        detail += "; plain HTTP: credentials travel unencrypted outside a loopback or private network"
    return passed_if(
        "8.2.4",
        ok,
        measured={"anonymous": anonymous.status, "authenticated": signed.status if signed else None, "scheme": scheme},
        threshold="anonymous access refused (401), the deployer's credentials accepted (200)",
        detail=detail,
        where=registry.url,
    )


def manifest_entry(registry: Registry, images: list[Image]) -> dict[str, Any]:
    found: dict[str, str] = {}
    missing: list[str] = []
    for image in images:
        response = registry.authenticated(
            "HEAD",
            f"/v2/{image.repository}/manifests/{image.tag}",
            scope=f"repository:{image.repository}:pull",
            headers={"Accept": MANIFEST_TYPES},
        )
        if response.status == 200:
            found[image.ref] = response.header("docker-content-digest") or "(no digest header)"
        elif response.status == 404:
            missing.append(f"{image.ref} (no such tag)")
        elif response.status in (401, 403):
            missing.append(f"{image.ref} (access refused: {response.status})")
        else:
            missing.append(f"{image.ref} ({response.status})")
    return passed_if(
        "8.2.1",
        bool(images) and not missing,
        measured=found if not missing else {"found": found, "missing": missing},
        threshold="every image to deploy has its tag in the registry",
        detail=("missing: " + ", ".join(missing)) if missing else f"{len(found)} image tag(s) present",
        where=registry.url,
    )


def check_registry(registry: Registry, images: list[Image]) -> Entries:
    return run_checks(
        [
            Check(("8.2.1",), lambda: [manifest_entry(registry, images)], registry.url),
            Check(("8.2.4",), lambda: [access_entry(registry)], registry.url),
        ]
    )
