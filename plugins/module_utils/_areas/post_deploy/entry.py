# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The post-deployment area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database.endpoint import Endpoint
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy import period
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy.watch import (
    Unavailable,
    Watch,
    evidence,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import tls
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.dns import AddressResolver
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession, join_url
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import (
    Prometheus,
    PromQLError,
    query_range,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError, ConnectionFailure
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import exit_checked


def _session(p: dict[str, Any], resolver: AddressResolver) -> HttpSession:
    return HttpSession(ca_bundle=p["ca_bundle"], timeout=p["timeout"], lookup=resolver)


class LiveSources:
    """The watch's sources on the live servers: Prometheus, the Kubernetes API (pods and their logs)."""

    def __init__(self, p: dict[str, Any], kube: Any, prom: Prometheus) -> None:
        self.p = p
        self.kube = kube
        self.prom = prom

    def value(self, query: str) -> float | None:
        return self.prom.query(query).value()

    def vector(self, query: str) -> list[tuple[dict[str, str], float]]:
        return [(s.labels, s.value) for s in self.prom.query(query).samples]

    def pods(self) -> list[dict[str, Any]]:
        ns = self.p["namespace"]
        return k8s.items(
            self.kube, f"pods of {ns} ({self.p['pod_selector']})", "v1", "pods", ns, self.p["pod_selector"]
        )

    def log(self, pod: str, container: str, since_seconds: int) -> str:
        ns = self.p["namespace"]
        what = f"the log of {ns}/{pod} container {container}"
        try:
            text = k8s.text(
                self.kube,
                what,
                k8s.path("v1", "pods", ns, pod) + "/log",
                {"container": container, "sinceSeconds": since_seconds},
            )
            if text is None:
                raise ApiError(f"Kubernetes API at {self.kube.server}: {what} failed: 404 Not Found")
            return text
        except (ApiError, ConnectionFailure) as exc:
            # the API server reaches the pod's kubelet for its log: a cluster whose nodes serve no logs answers
            # with an error or not at all, while the pod list above it answered
            raise Unavailable(str(exc)) from exc


def run_post_deploy_watch(module: Any) -> None:
    """post_deploy_watch: watch the window with the module's validated parameters and exit."""
    p = module.params

    def run() -> tuple[list, dict]:
        resolver = AddressResolver(p["dns_resolver"])
        watch_params = dict(p)
        session = _session(p, resolver)
        if p["bearer_token"]:
            module.no_log_values.add(p["bearer_token"])
        kube = k8s.Kube(p["kubeconfig"], p["context"], p["request_timeout"])
        prom = Prometheus(p["prometheus_url"], session, p["bearer_token"] or None)
        watch = Watch(watch_params, LiveSources(p, kube, prom))
        try:
            result = watch.run()
        finally:
            session.close()
        where = f"{p['prometheus_url']}; {kube.server} namespace {p['namespace']} ({p['pod_selector']})"
        extra = {
            "samples": result.samples,
            "planned_samples": result.planned,
            "breach": result.breach.as_dict(result.planned) if result.breach else None,
        }
        return evidence(watch, result, where), extra

    exit_checked(module, "post-deployment watch", run)


def run_post_deploy_check(module: Any) -> None:
    """post_deploy_check: review the period with the module's validated parameters and exit."""
    p = module.params
    resolver = AddressResolver(p["dns_resolver"])
    if p["bearer_token"]:
        module.no_log_values.add(p["bearer_token"])

    def range_query(expr: str, start: float, end: float, step: float) -> list:
        with _session(p, resolver) as session:
            return query_range(
                Prometheus(p["prometheus_url"], session, p["bearer_token"] or None), expr, start, end, step
            )

    def alertmanager(path: str) -> Any:
        with _session(p, resolver) as session:
            response = session.request("GET", join_url(p["alertmanager_url"], path))
            if response.status != 200:
                raise ApiError(f"Alertmanager at {p['alertmanager_url']} answered {response.status} to {path}")
            return response.json()

    def rules() -> list[dict[str, Any]]:
        with _session(p, resolver) as session:
            headers = {"Authorization": f"Bearer {p['bearer_token']}"} if p["bearer_token"] else {}
            response = session.request(
                "GET", join_url(p["prometheus_url"], "/api/v1/rules?type=alert"), headers=headers
            )
            try:
                groups = (response.json().get("data") or {}).get("groups") or []
            except (ValueError, AttributeError) as exc:
                raise PromQLError(
                    f"Prometheus at {p['prometheus_url']} answered {response.status} to /api/v1/rules"
                ) from exc
            return [rule for group in groups for rule in group.get("rules") or []]

    db = p["database"]
    database = None
    if db["host"] and db["dbname"] and db["user"]:
        endpoint = Endpoint(
            host=db["host"], port=db["port"], dbname=db["dbname"], user=db["user"], password=db["password"] or None,
            sslmode=db["sslmode"], sslrootcert=db["sslrootcert"], connect_timeout=db["connect_timeout"],
        )  # fmt: skip
        database = endpoint.connect

    def certificate(name: str) -> tls.Certificate:
        host, _sep, port = name.partition(":")
        return tls.inspect(
            host, int(port or 443), ca_bundle=p["ca_bundle"], timeout=p["timeout"], address=resolver(host)
        )

    clients = period.Clients(
        range_query=range_query,
        alertmanager=alertmanager if p["alertmanager_url"] else None,
        kube=(lambda: k8s.Kube(p["kubeconfig"], p["context"], p["request_timeout"])),
        database=database,
        certificate=certificate,
        rules=rules,
    )
    exit_checked(module, "post-deployment", lambda: period.check_period(p, clients))
