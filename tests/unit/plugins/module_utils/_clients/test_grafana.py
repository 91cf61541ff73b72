"""The Grafana client: panels in rows count, a missing dashboard is None, bad input fails before any request."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.grafana import Grafana, panel_titles
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError


def test_panel_titles_include_collapsed_rows_and_the_old_rows_schema_but_not_rows():
    model = {
        "panels": [
            {"type": "row", "title": "Traffic", "panels": []},
            {"type": "timeseries", "title": "Request rate"},
            {"type": "row", "title": "Resources", "collapsed": True, "panels": [{"type": "stat", "title": "CPU"}]},
            {"type": "text"},
        ],
        "rows": [{"panels": [{"type": "graph", "title": "Legacy"}]}],
    }
    assert panel_titles(model) == ["Request rate", "CPU", "Legacy"]


@pytest.mark.parametrize(("url", "token", "needle"), [("grafana.local", "t", "absolute"), ("https://g", "", "token")])
def test_bad_input_is_a_configuration_error(url, token, needle):
    with pytest.raises(ConfigurationError, match=needle):
        Grafana(url, token, HttpSession)
