"""The fingerprint export on disk: written owner-only, rewritten only when it says something else."""

from __future__ import annotations

import os
import stat

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets import store


def test_the_export_is_owner_only_and_compared_before_writing(tmp_path):
    path = str(tmp_path / "prod.json")
    document = {"schema": 1, "keys": {"JWT_SECRET": "hmac-sha256:ab"}}
    assert store.would_export(path, document)
    store.write_export(path, document)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not store.would_export(path, document)
    assert store.would_export(path, {**document, "keys": {}})
