"""registry_check's option table: credentials are no_log, images are required."""

from __future__ import annotations

from ..area_module import no_log_options, validate


def test_the_password_is_no_log_and_images_are_required():
    assert "password" in no_log_options("preflight", "registry_check")
    _unused, errors = validate("preflight", "registry_check", {"registry_url": "http://r"})
    assert any("images" in e for e in errors)
