"""post.week1.2's error review: Sentry's unresolved issues of the levels asked for, seen in the period."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import errors

from .stack_fakes import ago


def test_the_error_review_counts_unresolved_issues_of_the_levels_seen_in_the_period(monkeypatch):

    issues = [
        {"shortId": "B-1", "title": "TypeError", "level": "error", "count": "42", "lastSeen": ago(3600)},
        {"shortId": "B-2", "title": "Slow query", "level": "warning", "count": "9", "lastSeen": ago(3600)},
        {"shortId": "B-3", "title": "Old", "level": "error", "count": "1", "lastSeen": ago(30 * 86400)},
    ]

    class Project:
        url = "https://sentry.test"

        def __init__(self, *_args: Any) -> None:
            pass

        def unresolved_issues(self, _project: str, period: str) -> list[dict[str, Any]]:
            assert period == "168h"
            return issues

    monkeypatch.setattr(errors, "Sentry", Project)
    params = {
        "sentry_url": "https://sentry.test",
        "sentry_token": "t",
        "sentry_organization": "org",
        "sentry_project": "backend",
        "period": "7d",
        "levels": ["error", "fatal"],
        "max_unresolved": 0,
    }
    [found] = errors.review_errors(params, None)
    assert found["status"] == "failed"
    assert found["detail"] == "1 unresolved error/fatal issue(s) seen in the last 7d: B-1 TypeError (42 events)"
    [found] = errors.review_errors({**params, "max_unresolved": 1}, None)
    assert found["status"] == "passed"
