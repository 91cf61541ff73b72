"""One of the gate's check classes on the lab repository at a tag, as run_gate builds it."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.options import ARGUMENT_SPEC
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.settings import settings_from
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.git import Clone
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession


def gate_params(lab_repo, github_api, token, **over: Any) -> dict[str, Any]:
    p = {k: copy.deepcopy(v.get("default")) for k, v in ARGUMENT_SPEC.items()}
    p.update(
        repository=str(lab_repo["path"]),
        tag="v1.0.0",
        github_url=github_api,
        github_repository="smeplatform/sme-platform",
        github_token=token,
        secrets_required=["KUBE_CONFIG_STAGING", "REGISTRY_PASSWORD"],
    )
    p.update(over)
    return p


@contextmanager
def view(cls, params: dict[str, Any]) -> Iterator[Any]:
    settings = settings_from(params, lambda: HttpSession(timeout=5))
    with Clone(settings.repository, timeout=120) as clone:
        tag = clone.tag(settings.tag)
        clone.checkout(tag.commit)
        yield cls(settings, clone, tag)
