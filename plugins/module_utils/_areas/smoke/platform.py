# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smoke gate's platform probes: health, frontend, login, token, a sample invoice, and the pods serving them."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.hardening.http_rules import (
    jwt_lifetime_outcome,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import (
    join_url,
    json_field,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Outcome, failed, passed, skipped


class PlatformProbes:
    """Probes of the smoke gate that use the platform itself."""

    def check_health(self) -> Outcome:
        cfg = self.p["health"]
        url = self.api(cfg["path"])
        expected = cfg["expected_version"]
        threshold = "200" + (f", version {expected}" if expected else "")
        with self.session() as s:
            r = s.request("GET", url)
        try:
            body = r.json()
        except ValueError:
            body = None
        version = body.get("version") if isinstance(body, dict) else None
        state = body.get("status") if isinstance(body, dict) else None
        measured = f"{r.status}" + (f" {state}" if state else "") + (f" version {version}" if version else "")
        if r.status != 200:
            return failed(measured, threshold, f"GET {url} answered {r.status}: {r.text()}", url)
        if expected and version != expected:
            return failed(measured, threshold, f"serving version {version}, expected {expected}", url)
        return passed(measured, threshold, f"GET {url} answered 200 in {r.elapsed * 1000:.0f} ms", url)

    def check_frontend(self) -> Outcome:
        if not self.frontend_url:
            return skipped("no frontend_url given")
        url = self.frontend_url + "/"
        with self.session() as s:
            r = s.request("GET", url, headers={"Accept": "text/html"})
        ctype = r.header("content-type") or ""
        measured = f"{r.status} {ctype.split(';')[0]}".strip()
        if r.status != 200:
            return failed(measured, "200 text/html", f"GET {url} answered {r.status}: {r.text()}", url)
        if "html" not in ctype or not r.body.strip():
            return failed(measured, "200 text/html", f"GET {url} answered 200 without an HTML page", url)
        return passed(measured, "200 text/html", f"GET {url} served {len(r.body)} bytes of HTML", url)

    def check_login(self) -> Outcome:
        cfg = self.p["login"]
        url = self.api(cfg["path"])
        self.secrets.add(cfg["password"])
        with self.session() as s:
            r = s.request("POST", url, json_body={"email": cfg["email"], "password": cfg["password"]})
        threshold = "2xx with an access token"
        if r.status == 429:
            return failed(
                r.status, threshold, f"login throttled (429, retry after {r.header('retry-after')} s)", url, final=True
            )
        if r.status in (400, 401, 403):
            return failed(r.status, threshold, f"login of {cfg['email']} refused: {r.status}", url, final=True)
        if not 200 <= r.status < 300:
            return failed(r.status, threshold, f"POST {url} answered {r.status}: {r.text()}", url)
        try:
            body = r.json()
        except ValueError:
            body = None
        token = None
        if isinstance(body, dict):
            token = body.get(cfg["token_field"]) or body.get("token")
        if not isinstance(token, str) or not token:
            return failed(r.status, threshold, "login answered without an access token", url)
        self.secrets.add(token)
        self.token.put(token)
        return passed(r.status, threshold, f"{cfg['email']} logged in ({r.elapsed * 1000:.0f} ms)", url)

    def _wait_token(self) -> str | None:
        return self.token.get(timeout=float(self.p["budget"]))

    def check_jwt(self) -> Outcome:
        cfg = self.p["login"]
        max_lifetime = int(cfg["jwt_max_lifetime"])
        token = self._wait_token()
        if token is None:
            return failed(detail=f"no token to inspect: login failed ({self.token.why})", final=True)
        outcome = jwt_lifetime_outcome(token, max_lifetime)
        outcome.where = self.api(self.p["login"]["path"])
        return outcome

    def check_invoice(self) -> Outcome:
        cfg = self.p["invoice"]
        base = self.api(cfg["path"])
        threshold = "created (201), read back (200), removed (200/204)"
        if self.check_mode:
            return skipped("check mode: no sample invoice written", threshold=threshold, where=base)
        token = self._wait_token()
        if token is None:
            return failed(threshold=threshold, detail=f"no token: login failed ({self.token.why})", final=True)
        reference = f"SMOKE-{self.run_id}"
        payload = dict(cfg["payload"])
        payload.setdefault("invoiceNumber", reference)
        payload.setdefault("customerName", "Smoke test (removed automatically)")
        payload.setdefault("amount", 1)
        payload.setdefault("currency", "INR")
        auth = {"Authorization": f"Bearer {token}"}
        with self.session() as s:
            created = s.request("POST", base, headers=auth, json_body=payload)
            if created.status not in (200, 201):
                return failed(
                    created.status, threshold, f"POST {base} answered {created.status}: {created.text()}", base
                )
            try:
                invoice_id = created.json().get("id")
            except (ValueError, AttributeError):
                invoice_id = None
            if not invoice_id:
                return failed(created.status, threshold, f"POST {base} answered without an invoice id", base)
            item = join_url(base, str(invoice_id))
            try:
                read = s.request("GET", item, headers=auth)
                same = read.status == 200 and json_field(read, "invoiceNumber") == payload["invoiceNumber"]
            finally:
                removed = s.request("DELETE", item, headers=auth)
        measured = f"POST {created.status}, GET {read.status}, DELETE {removed.status}"
        if not same:
            return failed(measured, threshold, f"invoice {invoice_id} not read back as written", item)
        if removed.status not in (200, 202, 204):
            return failed(measured, threshold, f"sample invoice {invoice_id} was not removed: {removed.status}", item)
        return passed(measured, threshold, f"sample invoice {reference} created, read back and removed", base)

    def check_pods(self) -> Outcome:
        cfg = self.p["kubernetes"]
        namespace = cfg["namespace"]
        names = list(cfg["deployments"])
        max_restarts = int(cfg["max_restarts"])
        expected = {str(k): int(v) for k, v in (cfg.get("expected_replicas") or {}).items()}
        threshold = (
            f"ready pods = desired replicas (> 0{', as the inventory expects' if expected else ''}) for every "
            f"Deployment, fully available; container restarts <= {max_restarts}"
        )
        if self.kube_factory is None or not names:
            return skipped("no Kubernetes deployments to check")
        kube = self.kube_factory()
        problems, summary, pods_ready, pods_total, worst = [], [], 0, 0, 0
        for name in names:
            dep = k8s.get(kube, f"Deployment {namespace}/{name}", k8s.path("apps/v1", "deployments", namespace, name))
            if dep is None:
                problems.append(f"Deployment {name} not found in {namespace}")
                continue
            rollout = k8s.workload_rollout({**dep, "kind": "Deployment"})
            want, available, updated, total = (rollout[k] for k in ("replicas", "available", "updated", "total"))
            summary.append(f"{name} {available}/{want}")
            if not rollout["observed"] or {updated, available, rollout["ready"], total} != {want}:
                problems.append(
                    f"{name}: {available}/{want} available, {updated} updated, {total} in total"
                    + ("" if rollout["observed"] else ", rollout not yet observed")
                )
            labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            selector = ",".join(f"{k}={v}" for k, v in labels.items())
            ready_here = 0
            for pod in k8s.items(kube, f"pods of {namespace}/{name}", "v1", "pods", namespace, selector):
                if pod["metadata"].get("deletionTimestamp") is not None:
                    continue
                pods_total += 1
                status = pod.get("status") or {}
                conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
                if status.get("phase") == "Running" and conditions.get("Ready") == "True":
                    pods_ready += 1
                    ready_here += 1
                for cs in status.get("containerStatuses") or []:
                    restarts = cs.get("restartCount") or 0
                    worst = max(worst, restarts)
                    if restarts > max_restarts:
                        problems.append(f"{pod['metadata']['name']}/{cs.get('name')} restarted {restarts} times")
            if not want:
                problems.append(f"{name} wants 0 replicas: nothing serves")
            elif ready_here != want:
                problems.append(f"{name}: {ready_here} pod(s) Running and Ready, {want} desired")
            if name in expected and want != expected[name]:
                problems.append(f"{name} desires {want} replicas, the inventory expects {expected[name]}")
        measured = {"pods_ready": f"{pods_ready}/{pods_total}", "deployments": summary, "max_restarts": worst}
        where = f"{getattr(kube, 'server', 'kubernetes')} namespace {namespace}"
        if pods_ready != pods_total:
            problems.append(f"{pods_total - pods_ready} pod(s) not Running and Ready")
        if problems:
            return failed(measured, threshold, "; ".join(problems), where)
        return passed(
            measured, threshold, f"{pods_ready}/{pods_total} pods Running and Ready; {', '.join(summary)}", where
        )
