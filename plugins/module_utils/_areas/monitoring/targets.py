# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Prometheus scrapes and probes: 6.1.2 the backend's targets all up, and 6.4.2 a target probing (or scraping)
the platform's own health URL, matched by scheme, port, path and host (by name, or by the address the name resolves
to), with its probe's result in Prometheus."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConnectionFailure
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Entries

if TYPE_CHECKING:
    from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.monitoring.checks import MonitoringApi


def _endpoint(url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(url if "://" in url else "//" + url)
    scheme = parts.scheme or "http"
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower().rstrip("."), port, parts.path.rstrip("/") or "/"


def _probed_urls(target: dict[str, Any]) -> tuple[list[str], bool]:
    """The URLs a target checks: a blackbox probe's target parameter, or the scrape URL itself."""
    url = urlsplit(target.get("scrapeUrl") or "")
    probed = parse_qs(url.query).get("target", [])
    labels = {**(target.get("discoveredLabels") or {}), **(target.get("labels") or {})}
    probed += [v for k, v in labels.items() if k == "__param_target"]
    if probed:
        return sorted(set(probed)), True
    return [target.get("scrapeUrl") or ""], False


def _same_endpoint(candidate: str, wanted: str, resolve: Callable[[str], str | None] | None) -> bool:
    """Same scheme, port and path, and the same host (by name, or the URL's host resolves to the probed address)."""
    c, w = _endpoint(candidate), _endpoint(wanted)
    if (c[0], c[2], c[3]) != (w[0], w[2], w[3]) or not c[1]:
        return False
    if c[1] == w[1]:
        return True
    if resolve is None:
        return False
    try:
        return resolve(w[1]) is not None and resolve(w[1]) == resolve(c[1])
    except ConnectionFailure:
        return False


def health_entry_642(api: MonitoringApi, targets: list[dict[str, Any]]) -> dict[str, Any]:
    """6.4.2: a target probes or scrapes the platform's own health URL and Prometheus holds its probe's result.

    After the release (``release_version`` set) the last probe must have succeeded. Before it, a probe that runs and
    reports is the proof that the health endpoint is monitored: a first install has no platform to answer yet, and
    the release's own health is judged after the release (and by the smoke gate)."""
    s = api.settings
    after = bool(s.release_version)
    threshold = f"an active target probing {s.health_url or '(the platform health URL)'}, " + (
        "its last probe successful" if after else "its probe result collected (success judged after the release)"
    )
    if not s.health_url:
        return entry(
            "6.4.2",
            "failed",
            measured="no health URL",
            threshold=threshold,
            detail="set monitoring_health_url (the platform's health URL): a target probing any /health proves "
            "nothing about the platform's",
            where=s.prometheus_url,
        )
    covering = []
    for target in targets:
        urls, probe = _probed_urls(target)
        if any(_same_endpoint(u, s.health_url, s.resolve) for u in urls):
            covering.append((target, probe))
    seen, good = [], []
    for target, probe in covering:
        labels = target.get("labels") or {}
        ok = target.get("health") == "up"
        state = target.get("health")
        if ok and probe:
            # the exporter answering says nothing: probe_success is the probe's own result
            selector = ",".join(f'{k}="{labels[k]}"' for k in ("job", "instance") if labels.get(k))
            success = api.query(f"probe_success{{{selector}}}").value()
            ok = success == 1 if after else success is not None
            state = f"probe_success={success if success is not None else 'no data'}"
        seen.append(f"{labels.get('job')} {target.get('scrapeUrl')} ({state})")
        if ok:
            good.append(target)
    others = [t for t in targets if t not in [c for c, _unused in covering] and _probed_urls(t)[1]]
    detail = (
        f"{len(good)} of {len(covering)} target(s) probing {s.health_url} "
        + ("up" if after else "reporting a probe result")
        if covering
        else f"no target probes or scrapes {s.health_url} (add a blackbox probe of the platform's health URL)"
        + ("; probes of other URLs: " + ", ".join(u for t in others for u in _probed_urls(t)[0]) if others else "")
    )
    return passed_if(
        "6.4.2", bool(good), measured=seen or "none", threshold=threshold, detail=detail, where=s.prometheus_url
    )


def target_entries(api: MonitoringApi) -> Entries:
    s = api.settings
    targets = (api.prometheus_data("/api/v1/targets?" + urlencode({"state": "active"})) or {}).get("activeTargets", [])
    backend = [t for t in targets if (t.get("labels") or {}).get("job") == s.backend_job]
    up = [t for t in backend if t.get("health") == "up"]
    down = [f"{t.get('scrapeUrl')}: {t.get('lastError') or t.get('health')}" for t in backend if t not in up]
    scrape = passed_if(
        "6.1.2",
        bool(backend) and not down,
        measured={"up": len(up), "targets": len(backend)},
        threshold=f">= 1 active target of job {s.backend_job}, all up",
        detail=("; ".join(down) if down else f"{len(up)} target(s) of job {s.backend_job} up")
        if backend
        else f"no active target of job {s.backend_job}",
        where=s.prometheus_url,
    )
    return [scrape, health_entry_642(api, targets)]
