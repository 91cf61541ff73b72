"""The operations area's option tables: every credential no_log, Secret key names shown, the HTTP client's options."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import client_args

from ..area_module import no_log_options

MODULES = ("operations_check", "deploy_window", "operations_stack_check", "status_page", "error_tracking_review")


@pytest.mark.parametrize(
    ("module", "credentials"),
    [
        ("operations_check", {"grafana_token", "s3_secret_access_key", "platform_admin_password"}),
        ("deploy_window", {"bearer_token"}),
        (
            "operations_stack_check",
            {
                "sentry_token",
                "newrelic_api_key",
                "statuspage_api_key",
                "sendgrid_api_key",
                "logsink_api_key",
                "pagerduty_api_key",
            },
        ),  # fmt: skip
        ("status_page", {"statuspage_api_key"}),
        ("error_tracking_review", {"sentry_token"}),
    ],
)
def test_credentials_are_no_log(module, credentials):
    assert credentials <= no_log_options("operations", module)


def test_names_of_secret_keys_are_not_hidden():
    spec = options.operations_stack_check()["argument_spec"]
    assert spec["sentry_dsn_key"]["no_log"] is False and spec["newrelic_app_name_key"]["no_log"] is False


@pytest.mark.parametrize("module", MODULES)
def test_each_module_takes_the_http_clients_options(module):
    spec = getattr(options, module)()["argument_spec"]
    assert {name: spec[name] for name in client_args()} == client_args()
