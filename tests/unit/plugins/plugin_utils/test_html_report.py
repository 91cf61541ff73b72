from __future__ import annotations

import re
from html.parser import HTMLParser

from ansible_collections.smeplatform.deploy.plugins.plugin_utils import html_report


def sample_report(decision: str = "GO", series: list | None = None) -> dict:
    evidence = [
        {
            "id": "post.hour.1",
            "status": "passed",
            "measured": {"max": 0.004, "series": series if series is not None else [[1000, 0.001], [1060, 0.004]]},
            "threshold": 0.01,
            "detail": "error rate <script>alert(1)</script>",
            "where": "https://prometheus.test",
            "duration": 1.5,
        }
    ]
    return {
        "title": "Production Deployment Checklist",
        "platform": "SME Receivable Platform",
        "environment": "lab",
        "started": "2026-12-02T03:00:00Z",
        "finished": "2026-12-02T03:05:00Z",
        "playbooks": ["post_deploy.yml"],
        "run_id": "lab-20261202T030000Z",
        "verdict": {"decision": decision, "reasons": [] if decision == "GO" else ["1 item failed: post.hour.1"]},
        "summary": {"passed": 1, "failed": 0, "skipped": 0, "manual": 1, "not run": 0, "total": 2},
        "sections": [
            {
                "id": "post",
                "title": "Post-deployment",
                "groups": [{"id": "post.hour", "title": "First hour", "items": ["post.hour.1", "post.hour.2"]}],
            }
        ],
        "items": [
            {"id": "post.hour.1", "text": "Error rate", "status": "passed", "evidence": evidence, "owner": ""},
            {"id": "post.hour.2", "text": "Feedback", "status": "manual", "evidence": [], "owner": "Support"},
        ],
        "task_failures": [],
    }


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.circles: list[dict] = []
        self.verdict = ""
        self._in_verdict = False
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "circle":
            self.circles.append(attrs)
        if tag == "script":
            self.scripts += 1
        if attrs.get("id") == "verdict":
            self._in_verdict = True

    def handle_data(self, data):
        if self._in_verdict:
            self.verdict += data
            self._in_verdict = False


def test_page_shows_verdict_items_and_one_marker_per_sample():
    page = html_report.render_html(sample_report())
    parsed = Collector()
    parsed.feed(page)
    assert parsed.verdict == "GO"
    assert [(float(c["data-t"]), float(c["data-v"])) for c in parsed.circles] == [(1000.0, 0.001), (1060.0, 0.004)]
    assert 'id="item-post.hour.2" data-status="manual"' in page and "sign-off: Support" in page
    # evidence text is escaped, never markup; the page has no script at all
    assert parsed.scripts == 0 and "&lt;script&gt;" in page


def test_threshold_drawn_and_iso_times_accepted():
    page = html_report.render_html(sample_report(series=[["2026-12-02T03:00:00Z", 1], ["2026-12-02T03:01:00Z", 3]]))
    assert 'class="threshold"' in page
    assert len(re.findall(r'<circle class="sample"', page)) == 2


def test_entries_without_series_draw_no_plot():
    page = html_report.render_html(sample_report(series=[]))
    assert "<svg" not in page and "Measured series" not in page


def test_redactor_masks_the_page():
    class Mask:
        def data(self, value):
            return value

        def text(self, value):
            return value.replace("prometheus.test", "********")

    assert "prometheus.test" not in html_report.render_html(sample_report(), Mask())


def test_index_lists_runs_newest_first_with_links():
    first = html_report.run_summary(sample_report("GO"), "lab-1.html")
    second = html_report.run_summary({**sample_report("NO-GO"), "started": "2026-12-03T00:00:00Z"}, "lab-2.html")
    page = html_report.render_index("lab", [first, second])
    assert page.index("lab-2.html") < page.index("lab-1.html")
    assert re.findall(r'data-decision="([^"]+)"', page) == ["NO-GO", "GO"]
