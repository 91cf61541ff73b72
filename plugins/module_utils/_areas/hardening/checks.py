# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hardening checks (7.1.1 NetworkPolicies, 7.1.2 exposure, 7.1.3 Pod Security Admission, 7.3.1 RBAC)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.hardening import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.helm_release import release_installed
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, not_installed, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build, settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, Entries, run_checks

PSA_LEVELS = ("privileged", "baseline", "restricted")
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"


@dataclass(frozen=True)
class Access:
    """A request the application's ServiceAccount must NOT be allowed to make."""

    verb: str
    resource: str
    group: str = ""
    namespace: str = ""  # empty: cluster-wide

    def text(self) -> str:
        scope = f"in {self.namespace}" if self.namespace else "cluster-wide"
        resource = f"{self.resource}.{self.group}" if self.group else self.resource
        return f"{self.verb} {resource} {scope}"


@dataclass(frozen=True)
class HardeningPolicy:
    """What the namespace is held to; every value comes from hardening_check's option table."""

    namespace: str
    service_account: str
    allowed_ports: tuple[int, ...]
    psa_level: str
    denied: tuple[Access, ...]
    # Helm release whose objects 7.1.1, 7.1.2 and 7.3.1 look at; before its first install they are skipped
    release: str

    @classmethod
    def from_options(cls, params: Mapping[str, Any]) -> HardeningPolicy:
        """The policy of hardening_check's parameters (missing ones at the option table's defaults)."""
        p = settings(options.hardening_check()["argument_spec"], params)
        return build(
            cls,
            p,
            allowed_ports=tuple(p["allowed_ports"]),
            denied=tuple(Access(**d) for d in p["denied"]) or default_denied(p["namespace"]),
        )


def default_denied(namespace: str) -> tuple[Access, ...]:
    return (
        Access("list", "secrets"),
        Access("get", "secrets", namespace=namespace),
        Access("*", "*", group="*"),
        Access("create", "pods/exec", namespace=namespace),
        Access("create", "rolebindings", group="rbac.authorization.k8s.io", namespace=namespace),
    )


def _name(obj: Mapping[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("name") or ""


def _is_default_deny(policy: Mapping[str, Any]) -> bool:
    """Selects every pod and allows no ingress (policyTypes holds Ingress, no ingress rules)."""
    spec = policy.get("spec") or {}
    selector = spec.get("podSelector") or {}
    selects_all = not (selector.get("matchLabels") or selector.get("matchExpressions"))
    return selects_all and "Ingress" in (spec.get("policyTypes") or []) and not spec.get("ingress")


def network_policy_entry(kube: Any, policy: HardeningPolicy) -> dict[str, Any]:
    items = k8s.items(
        kube, f"NetworkPolicies in {policy.namespace}", "networking.k8s.io/v1", "networkpolicies", policy.namespace
    )
    deny = [_name(p) for p in items if _is_default_deny(p)]
    return passed_if(
        "7.1.1",
        bool(items) and bool(deny),
        measured={"policies": sorted(_name(p) for p in items), "default_deny": deny or None},
        threshold="NetworkPolicies in the namespace, one of them a default deny of ingress",
        detail=f"{len(items)} polic(ies); default deny: {', '.join(deny) or 'none'}",
        where=f"{kube.server} namespace {policy.namespace}",
    )


def exposure_entry(kube: Any, policy: HardeningPolicy) -> dict[str, Any]:
    """7.1.2: traffic enters through TLS Ingresses only; no NodePort/LoadBalancer Service on other ports."""
    ingresses = k8s.items(
        kube, f"Ingresses in {policy.namespace}", "networking.k8s.io/v1", "ingresses", policy.namespace
    )
    services = k8s.items(kube, f"Services in {policy.namespace}", "v1", "services", policy.namespace)
    problems = []
    for ing in ingresses:
        spec = ing.get("spec") or {}
        hosts = {r["host"] for r in spec.get("rules") or [] if r.get("host")}
        covered = {h for t in spec.get("tls") or [] for h in t.get("hosts") or []}
        if not spec.get("tls"):
            problems.append(f"Ingress {_name(ing)} has no TLS (plain port 80 only)")
        elif hosts - covered:
            problems.append(f"Ingress {_name(ing)}: no TLS for {', '.join(sorted(hosts - covered))}")
    exposed = {}
    for svc in services:
        kind = (svc.get("spec") or {}).get("type")
        if kind in ("NodePort", "LoadBalancer"):
            ports = [p.get("port") for p in (svc.get("spec") or {}).get("ports") or []]
            exposed[_name(svc)] = f"{kind} {ports}"
            bad = [p for p in ports if p not in policy.allowed_ports]
            if kind == "NodePort" or bad:
                problems.append(f"Service {_name(svc)} is {kind} on {ports}")
    if not ingresses:
        problems.append(f"no Ingress in {policy.namespace}")
    return passed_if(
        "7.1.2",
        not problems,
        measured={"ingresses": sorted(_name(i) for i in ingresses), "exposed_services": exposed or None},
        threshold=f"TLS on every Ingress host; no NodePort, no LoadBalancer outside ports {list(policy.allowed_ports)}",
        detail="; ".join(problems) or f"{len(ingresses)} Ingress(es) with TLS; no other exposed Service",
        where=f"{kube.server} namespace {policy.namespace}",
    )


def pod_security_entry(kube: Any, policy: HardeningPolicy) -> dict[str, Any]:
    where = f"{kube.server} namespace {policy.namespace}"
    threshold = f"{PSA_ENFORCE}={policy.psa_level} or stricter"
    ns = k8s.get(kube, f"namespace {policy.namespace}", k8s.path("v1", "namespaces", name=policy.namespace))
    if ns is None:
        return entry(
            "7.1.3",
            "failed",
            measured="namespace missing",
            threshold=threshold,
            where=where,
            detail=f"namespace {policy.namespace} does not exist",
        )
    all_labels = (ns.get("metadata") or {}).get("labels") or {}
    labels = {k: v for k, v in all_labels.items() if k.startswith("pod-security.kubernetes.io/")}
    level = labels.get(PSA_ENFORCE)
    ok = level in PSA_LEVELS and PSA_LEVELS.index(level) >= PSA_LEVELS.index(policy.psa_level)
    return passed_if(
        "7.1.3",
        ok,
        measured=labels or None,
        threshold=threshold,
        detail=f"enforce={level}" if level else "no Pod Security Admission enforce label",
        where=where,
    )


def rbac_entry(kube: Any, policy: HardeningPolicy) -> dict[str, Any]:
    user = f"system:serviceaccount:{policy.namespace}:{policy.service_account}"
    groups = ["system:serviceaccounts", f"system:serviceaccounts:{policy.namespace}", "system:authenticated"]
    allowed = []
    for access in policy.denied:
        attributes = {"verb": access.verb, "resource": access.resource, "group": access.group}
        if access.namespace:
            attributes["namespace"] = access.namespace
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {"user": user, "groups": groups, "resourceAttributes": attributes},
        }
        answer = k8s.request(
            kube,
            f"SubjectAccessReview for {user}",
            "POST",
            k8s.path("authorization.k8s.io/v1", "subjectaccessreviews"),
            body=review,
        )
        if ((answer or {}).get("status") or {}).get("allowed"):
            allowed.append(access.text())
    account = k8s.get(
        kube,
        f"ServiceAccount {policy.namespace}/{policy.service_account}",
        k8s.path("v1", "serviceaccounts", policy.namespace, policy.service_account),
    )
    problems = [f"may {a}" for a in allowed]
    if account is None:
        problems.append(f"ServiceAccount {policy.service_account} does not exist (pods would run as default)")
    return passed_if(
        "7.3.1",
        not problems,
        measured={"service_account": user, "exists": account is not None, "allowed": allowed or None},
        threshold="the app ServiceAccount exists and is denied: " + "; ".join(a.text() for a in policy.denied),
        detail="; ".join(problems) or f"{user} is denied all {len(policy.denied)} sensitive requests",
        where=kube.server,
    )


def check_hardening(kube: Any, policy: HardeningPolicy) -> Entries:
    where = f"{kube.server} namespace {policy.namespace}"
    namespace_check = Check(("7.1.3",), lambda: [pod_security_entry(kube, policy)], where)
    if policy.release and not release_installed(kube, policy.namespace, policy.release):
        return run_checks([namespace_check]) + not_installed(
            ("7.1.1", "7.1.2", "7.3.1"), policy.release, policy.namespace, where
        )
    return run_checks(
        [
            Check(("7.1.1",), lambda: [network_policy_entry(kube, policy)], where),
            Check(("7.1.2",), lambda: [exposure_entry(kube, policy)], where),
            namespace_check,
            Check(("7.3.1",), lambda: [rbac_entry(kube, policy)], where),
        ]
    )
