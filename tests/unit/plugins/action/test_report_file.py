"""The report_file action: a report artefact written on the controller, only when it differs, atomically."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.smeplatform.deploy.plugins.action.report_file import ActionModule


@pytest.fixture
def run(run_action):
    return lambda args, **kwargs: run_action(ActionModule, args, **kwargs)


def test_check_mode_writes_nothing_then_a_run_writes_once(run, tmp_path):
    path = tmp_path / "reports" / "runbook-prod.md"
    args = {"path": str(path), "content": "# Runbook\n"}
    first = run(args, check_mode=True)
    assert first["changed"] and not first.get("failed")
    assert not path.parent.exists()
    written = run(args)
    assert written["changed"] and path.read_text() == "# Runbook\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert not run(args, check_mode=True)["changed"]
    assert not run(args)["changed"]
    assert sorted(os.listdir(path.parent)) == ["runbook-prod.md"]  # no temporary file left


def test_new_content_or_mode_is_a_change_and_diff_shows_the_text(run, tmp_path):
    path = tmp_path / "runbook.md"
    run({"path": str(path), "content": "one\n"})
    shown = run({"path": str(path), "content": "two\n"}, check_mode=True, diff=True)
    assert shown["changed"] and shown["diff"]["before"] == "one\n" and shown["diff"]["after"] == "two\n"
    assert path.read_text() == "one\n"
    assert run({"path": str(path), "content": "one\n", "mode": "0600"})["changed"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == "one\n"


def test_bad_input_fails_before_anything_changes(run, tmp_path):
    path = tmp_path / "runbook.md"
    path.write_text("kept\n")
    bad_mode = run({"path": str(path), "content": "new\n", "mode": "rw-r--r--"})
    assert bad_mode["failed"] and "octal" in bad_mode["msg"]
    folder = run({"path": str(tmp_path), "content": "new\n"})
    assert folder["failed"] and "is a folder" in folder["msg"]
    assert path.read_text() == "kept\n"


def test_an_unwritable_folder_fails_with_the_path_and_leaves_the_old_file(run, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "runbook.md"
    path.write_text("kept\n")
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):  # root writes anyway: make the target's folder a file instead
            folder.chmod(0o755)
            result = run({"path": str(folder / "runbook.md" / "x.md"), "content": "new\n"})
        else:
            result = run({"path": str(path), "content": "new\n"})
    finally:
        folder.chmod(0o755)
    assert result["failed"] and "cannot" in result["msg"] and str(folder) in result["msg"]
    assert path.read_text() == "kept\n" and sorted(os.listdir(folder)) == ["runbook.md"]
