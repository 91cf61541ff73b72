"""The Sentry client: a DSN taken apart into its ingestion URL, bad input refused before any request."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.newrelic import NewRelic
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.sentry import Dsn, Sentry
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.statuspage import Statuspage
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError


def test_a_dsn_gives_its_key_project_and_envelope_url():
    dsn = Dsn.parse("https://abc123@o1.ingest.sentry.io/4507123")
    assert (dsn.public_key, dsn.project_id) == ("abc123", "4507123")
    assert dsn.envelope_url == "https://o1.ingest.sentry.io/api/4507123/envelope/"
    hosted = Dsn.parse("http://k@sentry.internal:9000/prefix/7")
    assert hosted.envelope_url == "http://sentry.internal:9000/prefix/api/7/envelope/"


@pytest.mark.parametrize("raw", ["", "https://o1.ingest.sentry.io/1", "https://k@host", "ftp://k@h/1"])
def test_what_is_not_a_dsn_is_refused(raw):
    with pytest.raises(ConfigurationError, match="not a Sentry DSN"):
        Dsn.parse(raw)


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda: Sentry("https://sentry.io", "", "org", HttpSession), "no Sentry auth token"),
        (lambda: Sentry("https://sentry.io", "t", "", HttpSession), "no Sentry organization"),
        (lambda: NewRelic("https://api.newrelic.com", "", HttpSession), "no New Relic user key"),
        (lambda: Statuspage("https://api.statuspage.io", "k", "", HttpSession), "no Statuspage page id"),
        (lambda: Statuspage("api.statuspage.io", "k", "p", HttpSession), "absolute"),
    ],
)
def test_missing_credentials_are_configuration_errors(make, needle):
    with pytest.raises(ConfigurationError, match=needle):
        make()
