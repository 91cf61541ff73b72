from __future__ import annotations

import base64

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import MASK, Redactor, secret_strings

SECRET = "hunter2-Very-Secret"


def test_value_and_its_encodings_are_masked():
    redactor = Redactor([SECRET])
    b64 = base64.b64encode(SECRET.encode()).decode()
    hexed = SECRET.encode().hex()
    text = f"plain {SECRET} b64 {b64} hex {hexed} HEX {hexed.upper()}"
    out = redactor.text(text)
    for form in (SECRET, b64, hexed, hexed.upper()):
        assert form not in out
    assert out.count(MASK) == 4


def test_nested_data_keys_and_values_are_masked():
    redactor = Redactor([SECRET])
    out = redactor.data({"a": [SECRET, {"k": f"x{SECRET}y"}], SECRET: 1, "n": 3})
    assert SECRET not in repr(out)
    assert out["n"] == 3


def test_short_and_non_string_values_are_not_collected():
    redactor = Redactor(["abcde", None, 1234567])
    assert not redactor
    assert redactor.text("abcde 1234567") == "abcde 1234567"


def test_longer_secret_masked_before_its_prefix():
    redactor = Redactor(["abcdef", "abcdefghij"])
    assert redactor.text("abcdefghij") == MASK


def test_secret_looking_names_but_not_role_variables_of_the_secrets_role():
    data = {
        "smeplatform_admin_password": "pw-value-1",
        "razorpay_key_secret": "rz-value-2",
        "sendgrid_api_key": "sg-value-3",
        "secrets_name": "sme-platform-secrets",
        "secrets_generated": [{"key": "JWT_SECRET"}],
        "backup_cronjob_env_from_secrets": [{"name": "PGPASSWORD", "secret_name": "sme-platform-secrets"}],
    }
    found = secret_strings(data)
    assert sorted(found) == ["pw-value-1", "rz-value-2", "sg-value-3"]


def test_references_to_a_secret_are_names_not_secrets():
    # chart values name the Secret a pod reads (envFrom secretRef, env secretKeyRef): the name and key are shown
    values = {
        "envFrom": [{"secretRef": {"name": "sme-platform-secrets"}}],
        "env": [{"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "db-secrets", "key": "DB_KEY"}}}],
        "secret_ref": "other-secrets",
        "jwt_secret": "jwt-value-1",
        "secretKey": "sk-value-2",
    }
    assert sorted(secret_strings(values)) == ["jwt-value-1", "sk-value-2"]
