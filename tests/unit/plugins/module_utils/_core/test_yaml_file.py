"""A YAML file of the collection read on the controller."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.yaml_file import read_yaml


class CatalogueProblem(Exception):
    pass


def test_reads_the_document(tmp_path):
    path = tmp_path / "scopes.yml"
    path.write_text("pre_deploy:\n  sections: [2, 3]\n", encoding="utf-8")
    assert read_yaml(str(path), "the report scopes") == {"pre_deploy": {"sections": [2, 3]}}


def test_a_missing_file_is_named_with_what_it_is(tmp_path):
    path = tmp_path / "absent.yml"
    with pytest.raises(ConfigurationError, match=f"cannot read the checklist catalogue {path}: No such file"):
        read_yaml(str(path), "the checklist catalogue")


def test_invalid_yaml_raises_the_callers_error(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(CatalogueProblem, match="the report scopes .* is not valid YAML"):
        read_yaml(str(path), "the report scopes", CatalogueProblem)
