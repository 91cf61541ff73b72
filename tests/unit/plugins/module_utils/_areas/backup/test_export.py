"""The configuration export: key names, never Secret values; written once per content."""

import base64
import gzip
import json
import os

import yaml

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import export
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import helm_release


def _release_secret(release):
    raw = base64.b64encode(gzip.compress(json.dumps(release).encode()))
    return {"release": base64.b64encode(raw).decode()}


def test_export_holds_key_names_never_secret_values(tmp_path):
    manifest = yaml.safe_dump_all(
        [
            {"kind": "Secret", "metadata": {"name": "s"}, "data": {"JWT_SECRET": "c2VjcmV0LXZhbHVl"}},
            {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"NODE_ENV": "production"}},
        ]
    )
    release = helm_release.decode_release(
        _release_secret(
            {
                "name": "rel",
                "namespace": "sme",
                "version": 3,
                "info": {"status": "deployed"},
                "chart": {"metadata": {"name": "sme-platform", "version": "1.0.0"}},
                "config": {"image": {"tag": "v1"}, "smtp": {"password": "hunter2-value"}, "apiToken": "tok-value"},
                "manifest": manifest,
            }
        )
    )
    files = export.export_files(
        release,
        [{"name": "c", "data": {"NODE_ENV": "production"}}],
        [{"name": "s", "type": "Opaque", "keys": ["JWT_SECRET"]}],
    )
    text = "".join(files.values())
    for value in ("hunter2-value", "tok-value", "c2VjcmV0LXZhbHVl"):
        assert value not in text
    assert "JWT_SECRET" in text and "v1" in text
    assert export.export_revision(files) == 3

    base = str(tmp_path / "exports")
    assert export.latest_export(base) == (None, {})
    path = export.write_export(base, export.export_stamp(3), files)
    assert path.endswith("-r3")
    latest, found = export.latest_export(base)
    assert latest == path and found == files
    assert (tmp_path / "exports").stat().st_mode & 0o777 == 0o700
    assert export.config_backup_entry(base, {"version": 3}, "t")["status"] == "passed"
    assert export.config_backup_entry(base, {"version": 4}, "t")["status"] == "failed"
    assert export.config_backup_entry(base, None, "t")["status"] == "skipped"


def test_exports_in_the_same_second_keep_one_folder_for_the_same_files_and_a_later_one_for_others(tmp_path):
    """Environments deployed side by side may export one release in the same second: the same files are one
    export, other files a folder of their own that latest_export takes; no temporary folder is left."""
    from datetime import UTC, datetime

    base = str(tmp_path / "exports")
    stamp = export.export_stamp(7, datetime(2026, 12, 2, 22, 2, 31, tzinfo=UTC))
    files = {"release.yaml": "revision: 7\n", "values.yaml": "a: 1\n"}
    first = export.write_export(base, stamp, files)
    assert export.write_export(base, stamp, dict(files)) == first
    other = {"release.yaml": "revision: 7\n", "values.yaml": "a: 2\n"}
    second = export.write_export(base, stamp, other)
    assert second == first + "_2"
    assert export.latest_export(base) == (second, other)
    assert sorted(os.listdir(base)) == ["20261202T220231Z-r7", "20261202T220231Z-r7_2"]
