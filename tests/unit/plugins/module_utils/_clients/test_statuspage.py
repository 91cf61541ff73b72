"""The Statuspage client: a page's components read and their status set, with an API key."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.statuspage import Statuspage
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)

from .answers import Answers


def test_components_leave_groups_out_and_a_status_is_patched():
    answers = Answers((200, [{"id": "c1", "group": False}, {"id": "g1", "group": True}]), (200, {"id": "c1"}))
    page = Statuspage("https://sp.test", "key", "p1", answers)
    assert page.components() == [{"id": "c1", "group": False}]
    assert page.set_status("c1", "operational") == {"id": "c1"}
    assert answers.sent[1] == (
        "PATCH",
        "https://sp.test/v1/pages/p1/components/c1",
        {"Authorization": "OAuth key"},
        {"component": {"status": "operational"}},
    )
    assert page.where == "https://sp.test/v1/pages/p1"


def test_unknown_status_page_and_refusals_fail_with_the_reason():
    page = Statuspage("https://sp.test", "key", "p1", Answers((404, {}), (401, {}), (500, b"down")))
    with pytest.raises(ConfigurationError, match="not a Statuspage component status: 'fine'"):
        page.set_status("c1", "fine")
    with pytest.raises(ApiError, match="answered 404: no such page or component"):
        page.components()
    with pytest.raises(ConnectionFailure, match="Statuspage refused the API key on GET .*: HTTP 401"):
        page.components()
    with pytest.raises(ApiError, match="answered 500: down"):
        page.components()
    with pytest.raises(ConfigurationError, match="no Statuspage page id"):
        Statuspage("https://sp.test", "key", "", Answers())
