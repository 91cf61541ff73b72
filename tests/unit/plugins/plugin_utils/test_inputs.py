"""Role inputs checked before any change: ranges by kind, types and choices from the roles' argument specs."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.plugin_utils import inputs


@pytest.mark.parametrize(
    ("name", "value", "wrong"),
    [
        ("smoke_error_rate_max", 5, "a ratio in [0, 1]"),
        ("smoke_error_rate_max", "-0.1", "a ratio in [0, 1]"),
        ("release_timeout", "abc", "a positive number of seconds"),
        ("release_timeout", 0, "a positive number of seconds"),
        ("release_lock_duration", -5, "a positive number of seconds"),
        ("release_namespace", "Bad_NS", "not a valid namespace name"),
        ("release_namespace", "a" * 64, "not a valid namespace name"),
        ("cluster_namespace", "", "a namespace is required (set smeplatform_namespace"),
        ("release_name", "sme.platform", "not a valid Helm release name"),
        ("smeplatform_backend_image_tag", " ", "an image tag must not be empty"),
    ],
)
def test_bad_values_are_named_with_what_they_must_be(name, value, wrong):
    errors = inputs.range_errors(name, value)
    assert len(errors) == 1 and errors[0].startswith(name) and wrong in errors[0]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("smoke_error_rate_max", 0.01),
        ("smoke_error_rate_max", "1"),
        ("release_timeout", 900),
        ("release_namespace", "sme-platform"),
        ("release_name", "sme-platform"),
        ("smeplatform_backend_image_tag", "v1.1.0"),
        ("smoke_rate_limit_max", 100),  # a count, not a ratio
    ],
)
def test_good_values_pass(name, value):
    assert inputs.range_errors(name, value) == []


def test_empty_tag_among_release_image_tags():
    assert inputs.range_errors("release_image_tags", {"backend.image.tag": "", "frontend.image.tag": "v1"}) == [
        "release_image_tags[backend.image.tag]: an image tag must not be empty"
    ]


def test_types_and_choices_come_from_the_role_argument_specs():
    spec = inputs.role_spec("release")
    errors = inputs.type_errors(spec, {"release_timeout": "abc", "release_pending_action": "maybe"})
    assert any("release_timeout" in e and "int" in e for e in errors)
    assert any("release_pending_action" in e and "rollback" in e for e in errors)
    assert inputs.type_errors(spec, {"release_timeout": "900", "release_pending_action": "fail"}) == []


def test_the_options_of_every_entry_point_are_checked():
    # the playbooks turn off Ansible's check at each include: rollback's own options are checked here
    spec = inputs.role_options("release")
    assert "release_rollback_method" in spec and "release_timeout" in spec
    errors = inputs.type_errors(spec, {"release_rollback_method": "git"})
    assert any("release_rollback_method" in e and "redeploy" in e for e in errors)
    assert set(inputs.role_spec("release")) < set(spec)


def test_every_role_has_specs_and_defaults_to_check():
    for role in ("release", "smoke", "database", "secrets", "backup"):
        assert inputs.role_spec(role)
        assert inputs.role_defaults(role)


def test_options_left_untemplated_are_ones_no_value_can_fail():
    # the inputs action templates a value only when some check could refuse it: prove no check refuses the others
    odd = ["", "x", "Bad_NS", 0, -1, 5, 1.5, True, None, [1], {"a": 1}]
    left = 0
    for role in sorted(p.name for p in inputs.ROLES_DIR.iterdir() if (p / "meta" / "argument_specs.yml").exists()):
        for name, option in inputs.role_options(role).items():
            if inputs.can_fail(name, option):
                continue
            left += 1
            for value in odd:
                assert inputs.type_errors({name: option}, {name: value}) == [], (role, name, value)
                assert inputs.range_errors(name, value) == [], (role, name, value)
    assert left > 100  # most role inputs are plain strings


def test_typed_chosen_and_ranged_options_are_templated_to_be_checked():
    assert inputs.can_fail("release_timeout", {"type": "int"})
    assert inputs.can_fail("release_rollback_method", {"type": "str", "choices": ["helm", "redeploy"]})
    assert inputs.can_fail("cluster_namespace", {"type": "str"})
    assert inputs.can_fail("smoke_error_rate_max", {"type": "str"})
    assert not inputs.can_fail("smoke_api_url", {"type": "str"})
    assert not inputs.can_fail("release_values", {"type": "raw"})
