from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.preflight import registry
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError


def test_parse_images():
    images = registry.parse_images([{"repository": "/sme/backend", "tag": "v1.0.0"}])
    assert images[0].ref == "sme/backend:v1.0.0"


@pytest.mark.parametrize(
    "item", [{"repository": "", "tag": "v1"}, {"repository": "a", "tag": "bad tag"}, {"repository": "a"}]
)
def test_parse_images_rejects(item):
    with pytest.raises(ConfigurationError):
        registry.parse_images([item])
