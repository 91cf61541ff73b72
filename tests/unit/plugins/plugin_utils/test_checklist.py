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


def test_scopes_load_beside_the_catalogue():
    catalogue = Catalogue.load()
    pre_deploy = catalogue.scope("pre_deploy")
    assert "2.1.1" in pre_deploy.items and "1.1.1" in pre_deploy.items
    assert "7.2.1" not in pre_deploy.items and "smoke gate" in pre_deploy.excluded["7.2.1"]
    deploy = catalogue.scope("deploy")
    assert {"deploy.3", "success.1", "7.2.1"} <= set(deploy.items)


def test_every_playbook_names_a_scope_that_exists():
    import re
    from pathlib import Path

    catalogue = Catalogue.load()
    root = Path(__file__).resolve().parents[4]
    for playbook in ("pre_deploy", "deploy", "rollback", "generate_secrets"):
        text = (root / "playbooks" / f"{playbook}.yml").read_text()
        (line,) = re.findall(r"report_scope: (.+)", text)
        names = re.findall(r"'(\w+)'", line) or [line.strip()]
        assert playbook in names or playbook == "deploy" and "release" in names
        for name in names:
            assert catalogue.scope(name).items


def test_every_automated_item_is_in_some_scope():
    catalogue = Catalogue.load()
    scoped = {item_id for scope in catalogue.scopes.values() for item_id in scope.items}
    # the rollback options are added by rollback.yml for the option it took; post.* by the post-deployment stages
    optional = {"rollback.1", "rollback.2", "rollback.3"}
    missing = [
        item.id
        for item in catalogue.items()
        if item.proof == "automated" and item.id not in scoped | optional and not item.id.startswith("post.")
    ]
    assert not missing


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        ({"scopes": {"x": {"items": ["99.9"]}}}, "unknown checklist item id '99.9'"),
        ({"scopes": {"x": {"sections": ["42"]}}}, "unknown section '42'"),
        ({"scopes": {"x": {"sections": ["1"], "exclude": {"1.1.1": ""}}}}, "excludes '1.1.1' without a reason"),
        ({"scopes": {"x": {"items": []}}}, "holds no item"),
        ({"scopes": {"x": {"itmes": ["1.1.1"]}}}, "unknown key"),
    ],
)
def test_bad_scopes_are_named(scopes, message):
    catalogue = Catalogue.load()
    with pytest.raises(CatalogueError, match=message):
        catalogue.add_scopes(scopes, source="scopes.yml")


def test_unknown_scope_lists_the_known_ones():
    with pytest.raises(
        CatalogueError,
        match="the scopes are deploy, generate_secrets, post_day1, post_hour, post_month1, post_week1, pre_deploy, "
        "release, rollback",
    ):
        Catalogue.load().scope("nope")


def test_a_run_adds_items_to_its_scope():
    scope = Catalogue.load().scope_of_items("rollback", ["rollback.1"])
    assert scope.name == "rollback" and set(scope.items) == {"rollback.4", "8.1.4", "rollback.1"}
