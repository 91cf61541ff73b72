"""The evidence action: entries checked against the catalogue on the controller, secrets masked."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.action.evidence import ActionModule


def test_entries_are_validated_and_failures_named(run_action):
    result = run_action(
        ActionModule,
        {"items": [{"id": "4.2.2", "status": "passed", "measured": "x"}, {"id": "deploy.2", "status": "failed"}]},
    )
    assert not result.get("failed"), result
    assert [e["id"] for e in result["evidence"]] == ["4.2.2", "deploy.2"]
    assert result["msg"] == "recorded 2 item(s); failed: deploy.2"


def test_an_id_outside_the_catalogue_fails_the_task(run_action):
    result = run_action(ActionModule, {"items": [{"id": "99.9.9", "status": "passed"}]})
    assert result["failed"] and "99.9.9" in result["msg"]


def test_declared_and_secret_looking_variables_are_masked(run_action):
    result = run_action(
        ActionModule,
        {
            "items": [{"id": "4.2.2", "status": "passed", "detail": "declared s3cr3t-one, variable hunter2-two"}],
            "secrets": ["s3cr3t-one"],
        },
        {"smoke_admin_password": "hunter2-two", "release_name": "hunter"},
    )
    detail = result["evidence"][0]["detail"]
    assert "s3cr3t-one" not in detail and "hunter2-two" not in detail
    assert detail.count("********") == 2


def test_a_bad_catalogue_path_fails_with_its_name(run_action, tmp_path):
    result = run_action(
        ActionModule, {"items": [{"id": "4.2.2", "status": "passed"}], "catalogue": str(tmp_path / "none.yml")}
    )
    assert result["failed"] and "none.yml" in result["msg"]
