"""The items proven from the images to deploy: without a registry nothing is read and 1.2.2 is not passed."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.images import ImageChecks, read_image
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.preflight.registry import Image
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError, ConfigurationError

from .gate_support import gate_params, view


def test_no_images_to_deploy_is_not_a_provenance(lab_repo, github_api, token):
    with view(ImageChecks, gate_params(lab_repo, github_api, token)) as gate:
        found = gate.provenance()
    assert (found["id"], found["status"], found["measured"]) == ("1.2.2", "failed", {})


def test_an_image_is_read_from_a_registry_only():
    with pytest.raises(ConfigurationError, match="no registry to read the images from"):
        read_image(None, Image("sme/backend", "v1.0.0"))


class Answer:
    status = 200
    body = b"{}"

    def __init__(self, doc):
        self.doc = doc

    def header(self, _name):
        return "sha256:abc"

    def json(self):
        return self.doc


class FakeRegistry:
    url = "https://registry.test"

    def __init__(self, *docs):
        self.docs = list(docs)

    def authenticated(self, *_args, **_kwargs):
        return Answer(self.docs.pop(0))


def test_a_manifest_without_config_or_malformed_is_an_api_error():
    with pytest.raises(ApiError, match="sme/backend:v1.0.0 has no image config"):
        read_image(FakeRegistry({"schemaVersion": 2}), Image("sme/backend", "v1.0.0"))
    with pytest.raises(ApiError, match="malformed manifest or config"):
        read_image(FakeRegistry(["not", "a", "manifest"]), Image("sme/backend", "v1.0.0"))
