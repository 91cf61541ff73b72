"""production_secrets' option table: the checklist's generated keys by default, every credential no_log."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.keyring import (
    DEFAULT_GENERATED,
    EXTERNAL_KEYS,
)

from ..area_module import no_log_options, validate


def test_the_default_generated_keys_are_the_keyrings():
    params, errors = validate("secrets", "production_secrets", {})
    assert errors == []
    assert [g["name"] for g in params["generated"]] == [g.name for g in DEFAULT_GENERATED]
    assert [g["item"] for g in params["generated"]] == ["3.2.1", "3.2.2", "3.2.3", "3.2.4"]


def test_every_external_key_is_no_log():
    assert {f"external.{k.option}" for k in EXTERNAL_KEYS} <= no_log_options("secrets", "production_secrets")
