"""The operations checks one by one: Grafana's data sources and access (6.2.2, 6.2.3) and the platform's admins'
MFA (7.3.2), each failing with every problem it found."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import checks

from ..._clients.answers import Answers


class FakeGrafana:
    url = "https://grafana.test"

    def __init__(self, users=(), teams=(), anonymous=401, datasources=(), unhealthy=()):
        self._users, self._teams, self._anonymous = list(users), list(teams), anonymous
        self._datasources, self._unhealthy = list(datasources), set(unhealthy)

    def org_users(self):
        return self._users

    def teams(self):
        return self._teams

    def anonymous_status(self):
        return self._anonymous

    def datasources(self):
        return self._datasources

    def datasource_health(self, uid):
        return (False, "connection refused") if uid in self._unhealthy else (True, "OK")


def settings(**overrides):
    params = {
        "grafana_url": "https://grafana.test",
        "grafana_token": "t",
        "platform_url": "https://api.test",
        "platform_admin_email": "admin@x.test",
        "platform_admin_password": "pw",
        **overrides,
    }
    return checks.OperationsSettings.from_options(params)


ADMIN = {"login": "admin", "role": "Admin"}


def test_access_passes_with_few_admins_staffed_teams_and_no_anonymous_reads():
    grafana = FakeGrafana(users=[ADMIN, {"login": "dev", "role": "Viewer"}], teams=[{"name": "SRE", "memberCount": 2}])
    found = checks.access_entry(grafana, settings(grafana_teams=["SRE"]))
    assert (found["id"], found["status"]) == ("6.2.3", "passed")
    assert found["detail"] == "2 user(s), admins admin; anonymous access refused (401)"


def test_access_names_every_problem():
    users = [dict(ADMIN, login=f"a{i}") for i in range(4)]
    grafana = FakeGrafana(users=users, teams=[{"name": "SRE", "memberCount": 0}], anonymous=200)
    found = checks.access_entry(grafana, settings(grafana_teams=["SRE", "DBA"]))
    assert found["status"] == "failed"
    assert found["detail"] == (
        "4 org admins (a0, a1, a2, a3), more than 3; team SRE has no members; team DBA missing; "
        "an anonymous request reads the dashboard list (HTTP 200)"
    )


def test_data_sources_missing_or_unhealthy_fail_and_none_at_all_fails():
    grafana = FakeGrafana(datasources=[{"name": "Prometheus", "uid": "p1", "type": "prometheus"}], unhealthy={"p1"})
    found = checks.datasources_entry(grafana, settings(grafana_datasources=["Prometheus", "Loki"]))
    assert found["status"] == "failed"
    assert found["detail"] == (
        "data source Prometheus (prometheus) fails its health check: connection refused; "
        "data source Loki not configured"
    )
    empty = checks.datasources_entry(FakeGrafana(), settings())
    assert (empty["status"], empty["detail"], empty["measured"]) == ("failed", "Grafana has no data source", "none")


def mfa(admins_status, admins):
    answers = Answers((200, {"access_token": "jwt"}), (admins_status, admins))
    return checks.admin_mfa_entry(settings(), answers), answers


@pytest.mark.parametrize(
    ("admins", "status", "detail"),
    [
        ([{"email": "a@x.test", "role": "admin", "mfaEnabled": True}], "passed", "1 admin(s), all with MFA"),
        (
            [{"email": "a@x.test", "mfaEnabled": True}, {"email": "b@x.test", "mfaEnabled": False}],
            "failed",
            "admin account(s) without MFA: b@x.test",
        ),
        ([{"email": "u@x.test", "role": "user"}], "failed", "the platform lists no admin account"),
    ],
)
def test_admin_mfa(admins, status, detail):
    found, answers = mfa(200, {"items": admins})
    assert (found["id"], found["status"], found["detail"]) == ("7.3.2", status, detail)
    assert answers.sent[1][2] == {"Authorization": "Bearer jwt"}


def test_admin_mfa_without_an_admin_list_fails_with_the_status():
    found, _answers = mfa(403, {"message": "forbidden"})
    assert found["status"] == "failed" and "answered 403: no admin list" in found["detail"]
