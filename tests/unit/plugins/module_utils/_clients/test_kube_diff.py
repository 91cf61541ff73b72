"""Live diffs: normalised objects, secret values hidden."""

from __future__ import annotations

import json

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kube_diff as live_diff


def test_normalise_hides_secret_values_and_server_fields():
    obj = {
        "kind": "Secret",
        "metadata": {"name": "s", "uid": "u", "resourceVersion": "9", "managedFields": [{}]},
        "data": {"JWT_SECRET": "c2VjcmV0"},
        "status": {},
    }
    out = live_diff.normalise(obj)
    assert out == {"kind": "Secret", "metadata": {"name": "s"}, "data": {"JWT_SECRET": live_diff.HIDDEN}}
    after = live_diff.normalise({**obj, "data": {"JWT_SECRET": "b3RoZXI="}})
    live_diff.hide_secret_values(out, after, obj, {**obj, "data": {"JWT_SECRET": "b3RoZXI="}})
    assert after["data"]["JWT_SECRET"] == live_diff.HIDDEN_CHANGED
    assert "c2VjcmV0" not in json.dumps([out, after])


def test_values_diff_masks_secret_looking_values():
    def redact(values):
        from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import Redactor, secret_strings

        return Redactor(secret_strings(values)).data(values)

    entry = live_diff.values_diff({"db": {"password": "hunter22"}}, {"db": {"password": "hunter33"}}, redact)
    assert "hunter" not in json.dumps(entry)
    assert live_diff.values_diff({"a": 1}, {"a": 1}, redact) is None
