"""Option tables: parameters completed from the table, the way AnsibleModule completes them."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import Settings, settings

SPEC = {
    "url": {"type": "str", "required": True},
    "timeout": {"type": "float", "default": 5.0},
    "names": {"type": "list", "elements": "str", "default": []},
    "prometheus": {
        "type": "dict",
        "default": {},
        "options": {"url": {"type": "str"}, "max": {"type": "float", "default": 0.5}},
    },
    "keys": {
        "type": "list",
        "elements": "dict",
        "default": [{"name": "A"}],
        "options": {"name": {"type": "str"}, "size": {"type": "int", "default": 32}},
    },
}


def test_missing_and_none_take_the_table_default():
    got = settings(SPEC, {"url": "https://x", "timeout": None})
    assert got["timeout"] == 5.0
    assert got["names"] == []
    assert got.timeout == 5.0


def test_given_values_win_even_when_falsy():
    got = settings(SPEC, {"timeout": 0, "names": ["a"]})
    assert got["timeout"] == 0
    assert got["names"] == ["a"]


def test_dict_options_are_completed_recursively():
    assert settings(SPEC, {})["prometheus"] == {"url": None, "max": 0.5}
    assert settings(SPEC, {"prometheus": {"url": "http://p"}})["prometheus"] == {"url": "http://p", "max": 0.5}


def test_list_of_dicts_is_completed_item_by_item():
    assert settings(SPEC, {})["keys"] == [{"name": "A", "size": 32}]
    assert settings(SPEC, {"keys": [{"name": "B", "size": 16}, {"name": "C"}]})["keys"] == [
        {"name": "B", "size": 16},
        {"name": "C", "size": 32},
    ]


def test_defaults_are_copies_not_the_table_itself():
    first = settings(SPEC, {})
    first["names"].append("changed")
    first["keys"][0]["name"] = "changed"
    assert SPEC["names"]["default"] == []
    assert settings(SPEC, {})["keys"][0]["name"] == "A"


def test_parameters_outside_the_table_are_kept_and_attributes_fail_cleanly():
    got = settings(SPEC, {"extra": 1})
    assert isinstance(got, Settings)
    assert got["extra"] == 1
    try:
        _unused = got.missing
    except AttributeError as exc:
        assert "missing" in str(exc)
    else:
        raise AssertionError("an unknown attribute must raise AttributeError")
