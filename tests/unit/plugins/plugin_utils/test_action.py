"""The action plugins' base: the collection's catalogue unless another is named."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.plugin_utils.action import CatalogueAction
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import CatalogueError


def test_the_collections_catalogue_by_default():
    assert "deploy.2" in CatalogueAction.load_catalogue(None)


def test_another_catalogue_by_path(tmp_path):
    with pytest.raises(CatalogueError):
        CatalogueAction.load_catalogue(str(tmp_path / "missing.yml"))
