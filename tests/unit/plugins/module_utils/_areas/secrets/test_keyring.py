"""The secrets' keyring: generation, fingerprints, production rules of external keys, reuse across environments."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import re

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets import keyring
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
)

from ...secrets_fakes import good_external

NOW = datetime.datetime(2026, 1, 10, 12, 0, 0, tzinfo=datetime.UTC)


# --- generation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "alphabet"),
    [
        ("base64", r"^[A-Za-z0-9+/]+={0,2}$"),
        ("base64url", r"^[A-Za-z0-9_-]+$"),
        ("hex", r"^[0-9a-f]+$"),
    ],
)
@pytest.mark.parametrize("size", [24, 32, 64])
def test_generated_values_have_the_size_and_alphabet(encoding, alphabet, size):
    values = {keyring.generate(size, encoding) for _unused in range(20)}
    assert len(values) == 20, "values must not repeat"
    for value in values:
        assert re.match(alphabet, value)
        assert len(keyring.decode(value, encoding)) == size


def test_checklist_sizes_are_the_defaults():
    sizes = {g.name: (g.size, g.encoding, g.item) for g in keyring.DEFAULT_GENERATED}
    assert sizes == {
        "JWT_SECRET": (64, "base64", "3.2.1"),
        "DATABASE_PASSWORD": (32, "base64url", "3.2.2"),
        "REDIS_PASSWORD": (24, "base64url", "3.2.3"),
        "ENCRYPTION_KEY": (32, "base64", "3.2.4"),
    }
    jwt = keyring.generate(64, "base64")
    assert len(jwt) == 88 and jwt.endswith("==")
    assert len(keyring.generate(32, "base64url")) == 43


def test_decode_rejects_values_outside_the_alphabet():
    assert keyring.decode("not base64!", "base64") is None
    assert keyring.decode("abc", "base64") is None  # not padded
    assert keyring.decode("a+b/", "base64url") is None
    assert keyring.decode("ABCDEF", "hex") is None
    assert keyring.decode("abc", "hex") is None
    assert keyring.decode("", "hex") is None


def test_generation_uses_the_os_csprng(monkeypatch):
    calls = []

    def fake_token_bytes(n):
        calls.append(n)
        return b"\x01" * n

    monkeypatch.setattr(keyring.secrets, "token_bytes", fake_token_bytes)
    assert keyring.generate(32, "hex") == "01" * 32
    assert calls == [32]


# --- fingerprints -----------------------------------------------------------------------------------------------


def test_fingerprint_is_hmac_sha256_with_the_salt():
    salt, value = b"0123456789abcdef", "hunter2-value"
    expected = hmac.new(salt, value.encode(), hashlib.sha256).hexdigest()
    assert keyring.fingerprint(salt, value) == "hmac-sha256:" + expected
    assert keyring.fingerprint(salt, value) == keyring.fingerprint(salt, value)
    assert keyring.fingerprint(b"another-salt-16b", value) != keyring.fingerprint(salt, value)
    assert value not in keyring.fingerprint(salt, value)
    assert keyring.short(keyring.fingerprint(salt, value)) == "hmac-sha256:" + expected[:16]


# --- production rules -------------------------------------------------------------------------------------------


def test_good_external_keys_pass():
    assert keyring.external_problems(good_external(), required=True) == {}


@pytest.mark.parametrize(
    ("option", "bad", "rule"),
    [
        ("sendgrid_api_key", "SK.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq", "'SG.'"),
        ("twilio_account_sid", "AC" + "G" * 32, "'AC' followed by 32 lowercase hex"),
        ("twilio_account_sid", "SK" + "a" * 32, "'AC' followed by 32 lowercase hex"),
        ("twilio_auth_token", "z" * 32, "32 lowercase hex"),
        ("razorpay_key_id", "rzp_test_ABCDEFGHIJKLMN", "test-mode key (rzp_test_)"),
        ("razorpay_key_id", "key_ABCDEFGHIJKLMN", "starts with 'rzp_live_'"),
        ("razorpay_key_secret", "short", "at least 20"),
        ("aws_access_key_id", "AKIAabcdefghijklmnop", "'AKIA' (IAM user) or 'ASIA'"),
        ("aws_access_key_id", "AIDA" + "A" * 16, "'AKIA' (IAM user) or 'ASIA'"),
        ("aws_secret_access_key", "x" * 39, "40 base64"),
    ],
)
def test_bad_external_key_is_named_with_its_rule_not_its_value(option, bad, rule):
    values = good_external()
    values[option] = bad
    problems = keyring.external_problems(values, required=True)
    key = keyring.EXTERNAL_BY_OPTION[option].name
    assert list(problems) == [key]
    assert rule in problems[key]
    assert bad not in problems[key]


def test_asia_temporary_keys_are_well_formed():
    values = good_external()
    values["aws_access_key_id"] = "ASIA" + "Q" * 16
    assert keyring.external_problems(values, required=True) == {}


def test_missing_external_key_is_named():
    values = good_external()
    del values["twilio_auth_token"]
    values["aws_access_key_id"] = ""
    problems = keyring.external_problems(values, required=True)
    assert sorted(problems) == ["AWS_ACCESS_KEY_ID", "TWILIO_AUTH_TOKEN"]
    assert "missing" in problems["TWILIO_AUTH_TOKEN"]
    assert "TWILIO_AUTH_TOKEN" in problems["TWILIO_AUTH_TOKEN"]  # names the environment variable to set
    assert keyring.external_problems(values, required=False) == {}


# --- reuse across environments ----------------------------------------------------------------------------------


def test_reuse_is_found_with_the_other_environments_salt_under_any_key():
    staging = keyring.FingerprintSet.from_values("staging", {"DB_PASS": "shared-value-1", "JWT_SECRET": "staging-only"})
    found = keyring.find_reuse({"DATABASE_PASSWORD": "shared-value-1", "JWT_SECRET": "prod-only"}, [staging])
    assert found == {"DATABASE_PASSWORD": ["staging:DB_PASS"]}


def test_reuse_needs_the_other_salt():
    other = keyring.FingerprintSet.from_values("dev", {"K": "v-123456"}, salt=b"a" * 16)
    mine = keyring.fingerprint(b"b" * 16, "v-123456")
    assert mine not in other.fingerprints.values()
    assert other.matches("v-123456") == ["K"]


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ([], "not a fingerprint file"),
        ({"salt": "!!", "fingerprints": {}}, "not base64"),
        ({"salt": "", "fingerprints": {}}, "shorter than 8"),
        ({"salt": base64.b64encode(b"s" * 16).decode(), "fingerprints": {"A": "md5:x"}}, "fingerprints of A"),
    ],
)
def test_bad_fingerprint_files_are_named(tmp_path, document, error):
    path = tmp_path / "fp.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigurationError, match=error):
        keyring.FingerprintSet.from_file("dev", str(path))


def test_duplicates_within_a_secret():
    assert keyring.find_duplicates({"A": "same-value", "B": "same-value", "C": "other"}) == {"A": ["B"], "B": ["A"]}
