"""The HTML report and the index, rendered by a real headless browser (Debian's chromium)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed (.ci/run installs Debian's chromium)")


def _run(playbook_runner, tmp_path, gate):
    env = {"SMEPLATFORM_REPORT_DIR": str(tmp_path), "REPORT_TEST_GATE": "true" if gate else "false"}
    return playbook_runner(HERE / "playbook_record.yml", env=env)


def _reports(tmp_path):
    files = sorted(p for p in tmp_path.iterdir() if not p.name.startswith(".") and "-index." not in p.name)
    return {p.suffix: p for p in files}


def _browser(*args: str) -> str:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout


def test_report_page_renders_with_verdict_and_the_measured_points(playbook_runner, tmp_path):
    _run(playbook_runner, tmp_path, gate=False)
    files = _reports(tmp_path)
    data = json.loads(files[".json"].read_text())
    dom = _browser("--dump-dom", files[".html"].as_uri())
    assert re.search(r'id="verdict"[^>]*>NO-GO<', dom)
    (entry,) = {i["id"]: i for i in data["items"]}["6.1.1"]["evidence"]
    drawn = [(float(t), float(v)) for t, v in re.findall(r'data-t="([\d.]+)" data-v="([\d.e-]+)"', dom)]
    assert drawn == [(float(t), float(v)) for t, v in entry["measured"]["series"]]
    shot = tmp_path / "page.png"
    _browser(f"--screenshot={shot}", "--window-size=1100,900", files[".html"].as_uri())
    assert shot.stat().st_size > 10_000  # a painted page, not a blank one


def test_index_lists_each_run_of_the_environment(playbook_runner, tmp_path):
    _run(playbook_runner, tmp_path, gate=False)
    _run(playbook_runner, tmp_path, gate=False)
    dom = _browser("--dump-dom", (tmp_path / "reporttest-index.html").as_uri())
    pages = re.findall(r'<a href="(reporttest-[^"]+\.html)"', dom)
    assert len(pages) == 2 and all((tmp_path / page).exists() for page in pages)
    assert re.findall(r'data-decision="([^"]+)"', dom) == ["NO-GO", "NO-GO"]
