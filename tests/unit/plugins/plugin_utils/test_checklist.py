from __future__ import annotations

import copy

import pytest
import yaml

from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import (
    DEFAULT_PATH,
    Catalogue,
    CatalogueError,
)

SEED_ITEMS_PER_SECTION = {"1": 15, "2": 12, "3": 9, "4": 10, "5": 15, "6": 12, "7": 12, "8": 8, "9": 8, "10": 5}


@pytest.fixture(scope="module")
def raw():
    with open(DEFAULT_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_catalogue_holds_every_checkbox_of_sections_1_to_10():
    catalogue = Catalogue.load()
    counts = {}
    for item in catalogue.items():
        counts[item.section] = counts.get(item.section, 0) + 1
    assert {k: counts[k] for k in SEED_ITEMS_PER_SECTION} == SEED_ITEMS_PER_SECTION


def test_catalogue_holds_final_checks_post_deployment_and_success_criteria():
    catalogue = Catalogue.load()
    ids = {item.id for item in catalogue.items()}
    assert {f"deploy.7.{n}" for n in range(1, 10)} <= ids
    assert {f"success.{n}" for n in range(1, 11)} <= ids
    for when in ("hour", "day1", "week1", "month1"):
        assert {f"post.{when}.{n}" for n in range(1, 6)} <= ids


def test_every_item_says_how_it_is_proven():
    for item in Catalogue.load().items():
        if item.proof == "automated":
            assert item.role, item.id
        else:
            assert item.owner, item.id


def test_duplicate_id_is_named(raw):
    data = copy.deepcopy(raw)
    data["sections"][0]["groups"][0]["items"].append(dict(data["sections"][1]["groups"][0]["items"][0]))
    with pytest.raises(CatalogueError, match=r"duplicate checklist item id '2\.1\.1'"):
        Catalogue.from_data(data)


def test_unknown_id_is_named():
    with pytest.raises(CatalogueError, match=r"unknown checklist item id '99\.9\.9'"):
        Catalogue.load().item("99.9.9")


def test_automated_item_without_role_is_refused(raw):
    data = copy.deepcopy(raw)
    del data["sections"][1]["groups"][0]["items"][0]["role"]
    with pytest.raises(CatalogueError, match=r"automated item '2\.1\.1' names no role"):
        Catalogue.from_data(data)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CatalogueError, match="cannot read the checklist catalogue"):
        Catalogue.load(str(tmp_path / "none.yml"))
