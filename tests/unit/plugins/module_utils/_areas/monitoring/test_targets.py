"""6.4.2: only a target probing the platform's own health URL counts, its probe's result judged by the release's
stage."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.monitoring import targets

from .prom_fakes import HEALTH, PromApi, probe_target


def test_6_4_2_any_health_target_of_another_host_does_not_count():
    api = PromApi({})
    found = targets.health_entry_642(api, [probe_target("https://other.example/health")])
    assert found["status"] == "failed" and "other.example/health" in found["detail"]


def test_6_4_2_after_the_release_the_platform_probe_passes_only_when_its_probe_succeeded():
    target = probe_target(HEALTH)
    query = f'probe_success{{job="health",instance="{HEALTH}"}}'
    failing = PromApi({query: 0.0}, release_version="v2")
    assert targets.health_entry_642(failing, [target])["status"] == "failed"
    succeeding = PromApi({query: 1.0}, release_version="v2")
    assert targets.health_entry_642(succeeding, [target])["status"] == "passed"
    assert targets.health_entry_642(succeeding, [dict(target, health="down")])["status"] == "failed"


def test_6_4_2_before_the_release_the_probe_must_run_and_report_not_yet_succeed():
    # a first install: the platform does not answer yet, but Prometheus probes its health URL
    target = probe_target(HEALTH)
    query = f'probe_success{{job="health",instance="{HEALTH}"}}'
    found = targets.health_entry_642(PromApi({query: 0.0}), [target])
    assert found["status"] == "passed" and "probe_success=0.0" in found["measured"][0]
    assert targets.health_entry_642(PromApi({}), [target])["status"] == "failed"  # no probe result at all
    assert targets.health_entry_642(PromApi({query: 1.0}), [dict(target, health="down")])["status"] == "failed"


def test_6_4_2_a_probe_of_the_address_the_platform_host_resolves_to_counts():
    target = probe_target("https://127.0.0.1:443/health", instance="i")
    answers = {'probe_success{job="health",instance="i"}': 1.0}
    resolve = {"api.x.com": "127.0.0.1", "127.0.0.1": "127.0.0.1"}.get
    assert targets.health_entry_642(PromApi(answers, resolve=resolve), [target])["status"] == "passed"
    assert targets.health_entry_642(PromApi(answers), [target])["status"] == "failed"


def test_6_4_2_without_the_platform_health_url_fails():
    api = PromApi({}, health_url="")
    found = targets.health_entry_642(api, [probe_target(HEALTH)])
    assert found["status"] == "failed" and "monitoring_health_url" in found["detail"]
