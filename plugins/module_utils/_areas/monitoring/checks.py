# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Monitoring checks (6.1.1-6.1.4, 6.2.4, 6.4.2, deploy.6, deploy.7.4, success.9) over the Prometheus,
Alertmanager and (optionally) Grafana HTTP APIs; 6.1.2 and 6.4.2 (what Prometheus scrapes and probes) are in
``targets``."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible.module_utils.common.yaml import yaml_load

try:
    from yaml import YAMLError
except ImportError:  # no PyYAML: yaml_load cannot run, so nothing raises it
    YAMLError = ValueError

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.monitoring import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.monitoring.targets import target_entries
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession, join_url
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import Prometheus
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build, settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, Entries, run_checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import human_duration, parse_duration

# Prometheus keeps 15 days when neither retention flag is set.
DEFAULT_RETENTION = "15d"
# Receiver fields that notify people: email and Slack, as the checklist asks.
NOTIFYING_CONFIGS = ("email_configs", "slack_configs")


@dataclass(frozen=True)
class MonitoringSettings:
    """What monitoring is held to; every value comes from monitoring_check's option table."""

    prometheus_url: str
    alertmanager_url: str
    grafana_url: str
    backend_job: str
    health_path: str
    # the platform's health URL (6.4.2): a target must probe or scrape this URL, not merely some /health
    health_url: str
    metric: str
    # the version of the running release (deploy.6, deploy.7.4, success.9 judge it); empty: those items are not
    # measured (before a release there is nothing of it to measure)
    release_version: str
    version_metric: str
    max_sample_age: float
    min_retention: str
    rules_file: str | None
    # (rc, stdout, stderr) of `promtool check rules <file>`, or None when promtool is not available
    promtool: Callable[[str], tuple[int, str, str]] | None
    headers: dict[str, str]
    # host name -> address (the lab's or the environment's DNS), to match a probe of an address to the URL's host
    resolve: Callable[[str], str | None] | None = None

    @classmethod
    def from_options(
        cls,
        params: Mapping[str, Any],
        promtool: Callable[[str], tuple[int, str, str]] | None = None,
        resolve: Callable[[str], str | None] | None = None,
    ) -> MonitoringSettings:
        """The settings of monitoring_check's parameters (missing ones at the option table's defaults)."""
        p = settings(options.monitoring_check()["argument_spec"], params)
        parse_duration(p["min_retention"])
        return build(
            cls,
            p,
            promtool=promtool,
            resolve=resolve,
            headers={"Authorization": f"Bearer {p['bearer_token']}"} if p["bearer_token"] else {},
        )


def expected_rules(path: str) -> dict[str, list[str]]:
    """Group name -> rule names (alerts and recordings) of a Prometheus rule file."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml_load(handle) or {}
    except (OSError, YAMLError) as exc:
        raise ConfigurationError(f"cannot read the rule file {path}: {exc}") from exc
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, list) or not groups:
        raise ConfigurationError(f"{path} has no rule groups")
    return {
        g["name"]: [r.get("alert") or r.get("record") for r in g.get("rules") or []]
        for g in groups
        if isinstance(g, dict) and "name" in g
    }


class MonitoringApi:
    """GET JSON from Prometheus, Alertmanager and Grafana; one HttpSession per thread."""

    def __init__(self, settings: MonitoringSettings, session_factory: Callable[[], HttpSession]):
        self.settings = settings
        self._factory = session_factory

    def get(self, base: str, path: str) -> tuple[int, Any]:
        url = join_url(base, path)
        with self._factory() as session:
            response = session.request("GET", url, headers=self.settings.headers)
        if response.status in (401, 403):
            raise ApiError(f"GET {url} refused: {response.status}; set the monitoring credentials")
        try:
            return response.status, response.json()
        except ValueError:
            return response.status, response.text()

    def prometheus_data(self, path: str) -> Any:
        status, body = self.get(self.settings.prometheus_url, path)
        if status != 200 or not isinstance(body, dict) or body.get("status") != "success":
            raise ApiError(f"Prometheus {path} answered {status}: {str(body)[:200]}")
        return body.get("data")

    def query(self, expr: str) -> Any:
        with self._factory() as session:
            return Prometheus(self.settings.prometheus_url, session).query(expr)


def health_entry(api: MonitoringApi) -> dict[str, Any]:
    base = api.settings.prometheus_url
    healthy, _unused = api.get(base, "/-/healthy")
    ready, _unused = api.get(base, "/-/ready")
    version = None
    if healthy == 200:
        build = api.prometheus_data("/api/v1/status/buildinfo") or {}
        version = build.get("version")
    return passed_if(
        "6.1.1",
        healthy == 200 and ready == 200,
        measured={"healthy": healthy, "ready": ready, "version": version},
        threshold="/-/healthy and /-/ready answer 200",
        detail=f"Prometheus {version or '(version unknown)'} at {base}",
        where=base,
    )


def rules_entry(api: MonitoringApi) -> dict[str, Any]:
    s = api.settings
    if not s.rules_file:
        raise ConfigurationError("rules_file is required to check the alert rules")
    expected = expected_rules(s.rules_file)
    promtool_note = "promtool not found: rule syntax not validated"
    problems = []
    if s.promtool is not None:
        rc, out, err = s.promtool(s.rules_file)
        summary = " ".join((out + " " + err).split())
        promtool_note = f"promtool check rules: {summary[:300]}"
        if rc != 0:
            problems.append(promtool_note)
    groups = (api.prometheus_data("/api/v1/rules") or {}).get("groups", [])
    loaded = {g.get("name"): {r.get("name"): r for r in g.get("rules") or []} for g in groups}
    missing = [f"{g}/{name}" for g, names in expected.items() for name in names if name not in loaded.get(g, {})]
    broken = [
        f"{g}/{name}: {rule.get('lastError')}"
        for g, rules in loaded.items()
        for name, rule in rules.items()
        if rule.get("health") == "err"
    ]
    if missing:
        problems.append("not loaded: " + ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else ""))
    if broken:
        problems.append("failing to evaluate: " + "; ".join(broken[:5]))
    total = sum(len(n) for n in expected.values())
    return passed_if(
        "6.1.3",
        not problems,
        measured={"expected": total, "loaded": total - len(missing), "groups": sorted(expected), "errors": len(broken)},
        threshold=f"every rule of {s.rules_file.rsplit('/', 1)[-1]} loaded and evaluating",
        detail="; ".join(problems + ([promtool_note] if promtool_note not in problems else [])),
        where=s.prometheus_url,
    )


def retention_entry(api: MonitoringApi) -> dict[str, Any]:
    s = api.settings
    flags = api.prometheus_data("/api/v1/status/flags") or {}
    raw = flags.get("storage.tsdb.retention.time") or "0s"
    if raw in ("0", "0s"):
        legacy = flags.get("storage.tsdb.retention") or "0s"
        raw = legacy if legacy not in ("0", "0s") else DEFAULT_RETENTION
    size = flags.get("storage.tsdb.retention.size") or "0B"
    seconds = parse_duration(raw)
    return passed_if(
        "6.1.4",
        seconds >= parse_duration(s.min_retention),
        measured=raw,
        threshold=f">= {s.min_retention}",
        detail=f"storage.tsdb.retention.time {raw}"
        + (f"; retention.size {size} may delete data earlier" if size not in ("0B", "0") else ""),
        where=s.prometheus_url,
    )


def samples_entry(api: MonitoringApi) -> dict[str, Any]:
    """deploy.7.4: fresh samples of the request counter, and of the running release's version series."""
    s = api.settings
    selector = f'{s.metric}{{job="{s.backend_job}"}}'
    release = f'{s.version_metric}{{job="{s.backend_job}",version="{s.release_version}"}}'

    def newest_age(sel: str) -> float | None:
        newest = api.query(f"max(timestamp({sel}))").value()
        return None if newest is None else max(0.0, time.time() - newest)

    age, release_age = newest_age(selector), newest_age(release)
    series = api.query(f"count({selector})").value()
    running = api.query(f'count by (version) ({s.version_metric}{{job="{s.backend_job}"}})')
    versions = sorted({smp.labels.get("version", "") for smp in running.samples})
    fresh = age is not None and age <= s.max_sample_age
    release_fresh = release_age is not None and release_age <= s.max_sample_age
    problems = []
    if not fresh:
        problems.append(f"no sample of {selector} newer than {human_duration(s.max_sample_age)}")
    if not release_fresh:
        problems.append(
            f"no sample of {release} newer than {human_duration(s.max_sample_age)} (versions scraped: "
            f"{', '.join(versions) or 'none'}): the running release's pods are not scraped"
        )
    return passed_if(
        "deploy.7.4",
        not problems,
        measured={
            "series": int(series or 0),
            "newest_sample_age": human_duration(age) if age is not None else None,
            "release_sample_age": human_duration(release_age) if release_age is not None else None,
            "versions": versions,
        },
        threshold=f"samples of {selector} and {release} newer than {human_duration(s.max_sample_age)}",
        detail="; ".join(problems) or f"{int(series or 0)} series of {selector}; release {s.release_version} scraped",
        where=s.prometheus_url,
    )


def _routed_receivers(route: dict[str, Any]) -> set[str]:
    found = {route["receiver"]} if route.get("receiver") else set()
    for child in route.get("routes") or []:
        found |= _routed_receivers(child)
    return found


def notification_entries(api: MonitoringApi) -> Entries:
    """6.2.4 from the configuration Alertmanager runs; also whether Prometheus sends to an Alertmanager."""
    s = api.settings
    if not s.alertmanager_url:
        return [
            entry(
                "6.2.4",
                "failed",
                measured="no Alertmanager",
                threshold="a receiver with email or Slack",
                detail="set monitoring_alertmanager_url",
            )
        ]
    status, body = api.get(s.alertmanager_url, "/api/v2/status")
    if status != 200 or not isinstance(body, dict):
        raise ApiError(f"Alertmanager {s.alertmanager_url}/api/v2/status answered {status}")
    config = yaml_load(((body.get("config") or {}).get("original")) or "") or {}
    routed = _routed_receivers(config.get("route") or {})
    notifying = {
        r["name"]: sorted(k.replace("_configs", "") for k in NOTIFYING_CONFIGS if r.get(k))
        for r in config.get("receivers") or []
        if any(r.get(k) for k in NOTIFYING_CONFIGS)
    }
    used = {name: kinds for name, kinds in notifying.items() if name in routed}
    senders = (api.prometheus_data("/api/v1/alertmanagers") or {}).get("activeAlertmanagers", [])
    return [
        passed_if(
            "6.2.4",
            bool(used),
            measured={name: "+".join(kinds) for name, kinds in used.items()} or "none",
            threshold="a routed receiver with email_configs or slack_configs",
            detail=(
                f"routed receivers: {', '.join(sorted(routed)) or 'none'}; "
                f"with email/Slack: {', '.join(sorted(notifying)) or 'none'}"
            ),
            where=s.alertmanager_url,
        ),
        # internal: the composite success.9 reads it
        {"id": "_alertmanagers", "measured": len(senders)},
    ]


def grafana_entry(api: MonitoringApi) -> dict[str, Any]:
    """Internal (no checklist id of its own): Grafana's health for deploy.6."""
    try:
        status, body = api.get(api.settings.grafana_url, "/api/health")
    except (ApiError, ConnectionFailure) as exc:
        return {"id": "_grafana", "ok": False, "measured": str(exc)}
    database = body.get("database") if isinstance(body, dict) else None
    return {
        "id": "_grafana",
        "ok": status == 200 and database == "ok",
        "measured": {"status": status, "database": database},
    }


def check_monitoring(settings: MonitoringSettings, session_factory: Callable[[], HttpSession]) -> Entries:
    api = MonitoringApi(settings, session_factory)
    prometheus = f"start Prometheus at {settings.prometheus_url} (or correct monitoring_prometheus_url)"
    checks = [
        Check(("6.1.1",), lambda: [health_entry(api)], settings.prometheus_url, prometheus),
        Check(("6.1.2", "6.4.2"), lambda: target_entries(api), settings.prometheus_url, prometheus),
        Check(("6.1.3",), lambda: [rules_entry(api)], settings.prometheus_url, prometheus),
        Check(("6.1.4",), lambda: [retention_entry(api)], settings.prometheus_url, prometheus),
        Check(("6.2.4",), lambda: notification_entries(api), settings.alertmanager_url, prometheus),
    ]
    if settings.release_version:
        checks.append(Check(("deploy.7.4",), lambda: [samples_entry(api)], settings.prometheus_url, prometheus))
    if settings.grafana_url:
        checks.append(Check((), lambda: [grafana_entry(api)], settings.grafana_url))
    raw = run_checks(checks)
    internal = {e["id"]: e for e in raw if e["id"].startswith("_")}
    found = [e for e in raw if not e["id"].startswith("_")]
    if not settings.release_version:
        # deploy.6, deploy.7.4 and success.9 judge a running release: measured after it (release_version set)
        return found
    by_id = {e["id"]: e for e in found}
    return found + composite_entries(settings, by_id, internal)


def composite_entries(
    settings: MonitoringSettings, by_id: dict[str, dict[str, Any]], internal: dict[str, dict[str, Any]]
) -> Entries:
    """deploy.6 and success.9, from the items measured above (no second measurement)."""

    def ok(item: str) -> bool:
        return by_id.get(item, {}).get("status") == "passed"

    grafana = internal.get("_grafana")
    parts = {"prometheus healthy": ok("6.1.1"), f"metrics of release {settings.release_version}": ok("deploy.7.4")}
    if grafana is not None:
        parts["grafana healthy"] = bool(grafana.get("ok"))
    grafana_note = "" if grafana is not None else "; Grafana not checked (monitoring_grafana_url empty)"
    deploy6 = passed_if(
        "deploy.6",
        all(parts.values()),
        measured=parts,
        threshold=f"Prometheus healthy, metrics of release {settings.release_version} collected"
        + (", Grafana healthy" if grafana else ""),
        detail="failing: " + ", ".join(k for k, v in parts.items() if not v) + grafana_note
        if not all(parts.values())
        else "monitoring verified" + grafana_note,
        where=settings.prometheus_url,
    )
    senders = internal.get("_alertmanagers", {}).get("measured")
    operational = {
        "prometheus healthy": ok("6.1.1"),
        "backend scraped": ok("6.1.2"),
        "rules loaded": ok("6.1.3"),
        "alertmanager connected": bool(senders),
        "platform health probed": ok("6.4.2"),
        f"release {settings.release_version} scraped": ok("deploy.7.4"),
    }
    success9 = passed_if(
        "success.9",
        all(operational.values()),
        measured=operational,
        threshold="Prometheus healthy, backend scraped, rules loaded, alerts delivered to an Alertmanager, the "
        f"platform's health probed, release {settings.release_version} scraped",
        detail="failing: " + ", ".join(k for k, v in operational.items() if not v)
        if not all(operational.values())
        else f"monitoring operational ({senders} Alertmanager(s) receiving alerts)",
        where=settings.prometheus_url,
    )
    return [deploy6, success9]
