"""Stand-in for the deployed SME Receivable Platform, as seen through its ingress.

Run from tests/lab:  python -m standins.platform [--static-version TAG | --kubeconfig PATH]
(as a module, so this file never shadows the standard library's `platform`).

What it reads from the lab cluster, like the real backend does at start-up and
on every rollout (cached for --cache-ttl seconds):
  * ConfigMap sme-platform-config: ALLOWED_ORIGINS, RATE_LIMIT_MAX,
    RATE_LIMIT_WINDOW_MS, JWT_EXPIRES_IN
  * Secret sme-platform-secrets: JWT_SECRET (else .lab/edge/secrets/jwt_secret)
  * Deployment sme-platform-backend: the image tag of container "backend" is the
    version it reports; a tag ending in "-faulty" is a bad build whose pods are
    Ready (/health 503, login 500); a tag ending in "-unready" never gets Ready
    pods, so the previous ready ReplicaSet keeps serving.
  * Deployment sme-platform-frontend: present means the frontend is served.

As the lab's ingress controller for IngressClass "nginx" (--ingress-class), it
publishes its own address as the load balancer address of every Ingress of that
class (spec.ingressClassName, the legacy kubernetes.io/ingress.class annotation,
or no class while nginx is the default class), in every namespace, every
--ingress-interval seconds: status.loadBalancer.ingress = [{ip: 127.0.0.1}],
patched through the /status subresource only when it differs.

With --pod it is instead the platform's own container image (tests/lab/kind
builds it; the chart deploys it on the kind lab): plain HTTP on --port, the
version from $SME_PLATFORM_VERSION (baked into each image tag), the settings
and JWT_SECRET from its environment (the chart's ConfigMap and Secret through
envFrom), the admin password from $ADMIN_PASSWORD; /live answers 200 while the
process runs and /ready 503 for an "-unready" build, so the kubelet's probes
decide readiness; "-faulty" builds are Ready with /health 503 and login 500.
--frontend serves the frontend's page on every other path.

Endpoints: GET /health, GET /metrics, POST /api/auth/login, GET /api/auth/me,
GET|POST /api/invoices, GET|DELETE /api/invoices/{id}, GET /api/admin/users (admins only: the platform's admin
accounts with mfaEnabled, from --admins-file when given and present, re-read on change, else the one admin account
with MFA on; the flag is data here, login asks for no second factor); any other GET on
smeplatform.test, www. and app. serves the frontend's index.html.
Every response carries helmet-like security headers; CORS echoes allowed
origins; /api routes are rate limited per client IP and route like
@nestjs/throttler (client IP = first X-Forwarded-For entry, as set by the ingress).

/metrics: the backend's http_requests_total and duration histogram count the
answers the backend gives. While no backend Deployment exists there is no
backend: the ingress answers every request (503, its default backend) and counts
it as ingress-nginx does, in nginx_ingress_controller_requests{status, ...},
not in the platform's counters. /metrics itself stays the scrape target of the
backend's job.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.server
import ipaddress
import json
import os
import re
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from standins.common import JSONHandler, TLSServer, read_secret, serve_forever, setup_logging, tls_context
from standins.kube import Cached, KubeClient, KubeError

LOG = setup_logging("platform")
DOMAIN = "smeplatform.test"
FRONTEND_HOSTS = {DOMAIN, f"www.{DOMAIN}", f"app.{DOMAIN}"}
ADMIN_EMAIL = f"admin@{DOMAIN}"

DEFAULT_SETTINGS = {
    "ALLOWED_ORIGINS": f"https://{DOMAIN}:15543,https://www.{DOMAIN}:15543,https://app.{DOMAIN}:15543",
    "RATE_LIMIT_MAX": "100",
    "RATE_LIMIT_WINDOW_MS": "900000",
    "JWT_EXPIRES_IN": "24h",
}

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; base-uri 'self'; font-src 'self' https: data:; form-action 'self'; "
        "frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; "
        "style-src 'self' 'unsafe-inline'; upgrade-insecure-requests"
    ),
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0)
DURATION_RE = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d)?\s*$")
UNIT_SECONDS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "ms": 0.001}


def duration_seconds(value: str) -> int:
    """JWT_EXPIRES_IN as the backend reads it: '24h', '15m', '3600' (seconds)."""
    m = DURATION_RE.match(value)
    if not m:
        raise ValueError(f"bad duration {value!r}")
    return max(1, int(int(m.group(1)) * UNIT_SECONDS[m.group(2)]))


def image_tag(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    name = name.split("@", 1)[0]
    return name.rsplit(":", 1)[1] if ":" in name else "latest"


# --- JWT (HS256) -----------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_encode(claims: dict[str, Any], key: str) -> str:
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"


def jwt_decode(token: str, key: str) -> dict[str, Any] | None:
    try:
        head, body, sig = token.split(".")
        if json.loads(_unb64(head)).get("alg") != "HS256":
            return None
        want = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(want, _unb64(sig)):
            return None
        claims = json.loads(_unb64(body))
    except (ValueError, json.JSONDecodeError):
        return None
    if not isinstance(claims, dict) or claims.get("exp", 0) <= time.time():
        return None
    return claims


# --- what the cluster says -------------------------------------------------


class Release:
    """The platform's view of its own deployment: settings, version, secrets."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.static = args.static_version is not None
        self.secrets_dir = Path(args.secrets_dir)
        ns = args.namespace
        self.kube = None if self.static else KubeClient(Path(args.kubeconfig))
        ttl, stale = args.cache_ttl, args.stale_ok
        self._configmap = Cached(lambda: self._get(f"/api/v1/namespaces/{ns}/configmaps/{args.configmap}"), ttl, stale)
        self._secret = Cached(lambda: self._get(f"/api/v1/namespaces/{ns}/secrets/{args.secret}"), ttl, stale)
        self._backend = Cached(self._backend_state, ttl, stale)
        self._frontend = Cached(
            lambda: self._get(f"/apis/apps/v1/namespaces/{ns}/deployments/{args.frontend_deployment}"), ttl, stale
        )

    def _warn_once(self, message: str) -> None:
        if message != getattr(self, "_last_warning", None):
            self._last_warning = message
            LOG.warning("%s", message)

    def _get(self, path: str) -> dict[str, Any] | None:
        assert self.kube is not None
        return self.kube.get(path)

    def settings(self) -> dict[str, Any]:
        raw = dict(DEFAULT_SETTINGS)
        if self.static:
            raw.update(self.args.setting)
        else:
            try:
                cm = self._configmap()
                raw.update((cm or {}).get("data") or {})
            except KubeError as exc:
                self._warn_once(f"settings from defaults: {exc}")
        return {
            "allowed_origins": {o.strip().rstrip("/") for o in raw["ALLOWED_ORIGINS"].split(",") if o.strip()},
            "rate_limit_max": int(raw["RATE_LIMIT_MAX"]),
            "rate_limit_window": int(raw["RATE_LIMIT_WINDOW_MS"]) / 1000.0,
            "jwt_expires_in": duration_seconds(str(raw["JWT_EXPIRES_IN"])),
        }

    def jwt_secret(self) -> str:
        if not self.static:
            try:
                secret = self._secret()
                value = ((secret or {}).get("data") or {}).get("JWT_SECRET")
                if value:
                    return base64.b64decode(value).decode()
            except KubeError:
                pass
        return read_secret(self.secrets_dir, "jwt_secret")

    def admin_password(self) -> str:
        return read_secret(self.secrets_dir, "admin-password")

    def _backend_state(self) -> dict[str, Any]:
        ns, name = self.args.namespace, self.args.deployment
        dep = self._get(f"/apis/apps/v1/namespaces/{ns}/deployments/{name}")
        if dep is None:
            return {"state": "not deployed"}
        containers = dep["spec"]["template"]["spec"]["containers"]
        container = next((c for c in containers if c["name"] == "backend"), containers[0])
        tag = image_tag(container["image"])
        if not tag.endswith("-unready"):
            return {"state": "deployed", "version": tag}
        # Pods of this build never become Ready: the ingress keeps sending
        # traffic to the newest ReplicaSet that still has Ready pods.
        selector = ",".join(f"{k}={v}" for k, v in dep["spec"]["selector"].get("matchLabels", {}).items())
        rsets = self._get(f"/apis/apps/v1/namespaces/{ns}/replicasets?labelSelector={selector}") or {}
        serving = []
        for rs in rsets.get("items", []):
            owners = rs["metadata"].get("ownerReferences") or []
            if not any(o.get("name") == name for o in owners) or not rs.get("status", {}).get("readyReplicas"):
                continue
            rs_containers = rs["spec"]["template"]["spec"]["containers"]
            rs_container = next((c for c in rs_containers if c["name"] == "backend"), rs_containers[0])
            revision = int(rs["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", "0"))
            serving.append((revision, image_tag(rs_container["image"])))
        if not serving:
            return {"state": "unavailable", "detail": "no ready backend pods", "version": tag}
        return {"state": "deployed", "version": max(serving)[1]}

    def backend(self) -> dict[str, Any]:
        if self.static:
            return {"state": "deployed", "version": self.args.static_version}
        try:
            return self._backend()
        except KubeError as exc:
            return {"state": "unavailable", "detail": str(exc)}

    def frontend_version(self) -> str | None:
        """Frontend image tag; None when the frontend is not deployed."""
        if self.static:
            return self.args.static_version
        try:
            dep = self._frontend()
        except KubeError:
            return None
        if dep is None:
            return None
        containers = dep["spec"]["template"]["spec"]["containers"]
        return image_tag(next((c for c in containers if c["name"] == "frontend"), containers[0])["image"])


class PodRelease(Release):
    """The view from inside the platform's own pod: everything comes from the
    environment the chart gives the container, as for the real application."""

    def __init__(self, args: argparse.Namespace, environ: dict[str, str] | None = None) -> None:
        args.static_version = (environ if environ is not None else os.environ).get("SME_PLATFORM_VERSION", "")
        if not args.static_version:
            raise SystemExit("--pod needs SME_PLATFORM_VERSION (the image sets it)")
        super().__init__(args)
        self.environ = dict(environ if environ is not None else os.environ)
        self.args.setting = {k: v for k, v in self.environ.items() if k in DEFAULT_SETTINGS}

    def jwt_secret(self) -> str:
        return self.environ.get("JWT_SECRET", "")

    def admin_password(self) -> str:
        return self.environ.get("ADMIN_PASSWORD", "")

    def ready(self) -> bool:
        return not self.args.static_version.endswith("-unready")


# --- ingress controller ----------------------------------------------------

INGRESS_API = "/apis/networking.k8s.io/v1"
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


def ingress_class_of(ingress: dict[str, Any]) -> str | None:
    spec_class = (ingress.get("spec") or {}).get("ingressClassName")
    return spec_class or ((ingress.get("metadata") or {}).get("annotations") or {}).get(LEGACY_CLASS_ANNOTATION)


class IngressStatusPublisher:
    """Publishes the stand-in's address on Ingresses of one class, as an ingress controller does.

    Every `interval` seconds: list the Ingresses of all namespaces, and patch the
    /status subresource of those of our class whose load balancer address is not
    ours. Unchanged Ingresses are never written.
    """

    def __init__(self, kube: KubeClient, ingress_class: str, address: str, interval: float) -> None:
        self.kube = kube
        self.ingress_class = ingress_class
        try:
            self.wanted = [{"ip": str(ipaddress.ip_address(address))}]
        except ValueError:
            self.wanted = [{"hostname": address}]
        self.interval = interval
        self._last_error: str | None = None

    def ours(self, ingress: dict[str, Any], class_is_default: bool) -> bool:
        klass = ingress_class_of(ingress)
        return klass == self.ingress_class or (klass is None and class_is_default)

    def sync(self) -> list[str]:
        """One pass; returns namespace/name of the Ingresses patched."""
        klass = self.kube.get(f"{INGRESS_API}/ingressclasses/{self.ingress_class}")
        if klass is None:
            return []
        is_default = (klass["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
        patched = []
        for ing in (self.kube.get(f"{INGRESS_API}/ingresses") or {}).get("items", []):
            meta = ing["metadata"]
            current = ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            if not self.ours(ing, is_default) or current == self.wanted:
                continue
            path = f"{INGRESS_API}/namespaces/{meta['namespace']}/ingresses/{meta['name']}/status"
            if self.kube.merge_patch(path, {"status": {"loadBalancer": {"ingress": self.wanted}}}) is not None:
                patched.append(f"{meta['namespace']}/{meta['name']}")
        return patched

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                for name in self.sync():
                    LOG.info("ingress %s: load balancer address %s published", name, self.wanted[0])
                self._last_error = None
            except (KubeError, KeyError, ValueError) as exc:
                if str(exc) != self._last_error:
                    self._last_error = str(exc)
                    LOG.warning("ingress status not published: %s", exc)
            stop.wait(self.interval)


# --- metrics and throttling ------------------------------------------------


class Metrics:
    default_backend = "upstream-default-backend"  # ingress-nginx's name for the answers no Service gives

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = time.time()
        self.requests: dict[tuple[str, str, int], int] = {}
        self.hist: dict[tuple[str, str], list[float]] = {}  # bucket counts..., sum, count
        # the ingress's own answers while no backend exists (ingress-nginx's counter): method, host, status
        self.ingress: dict[tuple[str, str, int], int] = {}

    def observe_ingress(self, method: str, host: str, status: int) -> None:
        with self.lock:
            key = (method, host, status)
            self.ingress[key] = self.ingress.get(key, 0) + 1

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self.lock:
            key = (method, route, status)
            self.requests[key] = self.requests.get(key, 0) + 1
            h = self.hist.setdefault((method, route), [0.0] * (len(BUCKETS) + 2))
            for i, le in enumerate(BUCKETS):
                if seconds <= le:
                    h[i] += 1
            h[-2] += seconds
            h[-1] += 1

    def render(self, version: str | None) -> str:
        out = [
            "# HELP http_requests_total Total HTTP requests by method, route and status.",
            "# TYPE http_requests_total counter",
        ]
        with self.lock:
            for (method, route, status), n in sorted(self.requests.items()):
                out.append(f'http_requests_total{{method="{method}",route="{route}",status="{status}"}} {n}')
            out += [
                "# HELP http_request_duration_seconds HTTP request duration in seconds.",
                "# TYPE http_request_duration_seconds histogram",
            ]
            for (method, route), h in sorted(self.hist.items()):
                labels = f'method="{method}",route="{route}"'
                for i, le in enumerate(BUCKETS):
                    out.append(f'http_request_duration_seconds_bucket{{{labels},le="{le:g}"}} {int(h[i])}')
                out.append(f'http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {int(h[-1])}')
                out.append(f"http_request_duration_seconds_sum{{{labels}}} {h[-2]:.6f}")
                out.append(f"http_request_duration_seconds_count{{{labels}}} {int(h[-1])}")
        out += [
            "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.",
            "# TYPE process_start_time_seconds gauge",
            f"process_start_time_seconds {self.started:.3f}",
            "# HELP app_info Version of the backend serving this process.",
            "# TYPE app_info gauge",
            f'app_info{{version="{version or ""}"}} 1',
        ]
        with self.lock:
            if self.ingress:
                out += [
                    "# HELP nginx_ingress_controller_requests The number of client requests the ingress answered.",
                    "# TYPE nginx_ingress_controller_requests counter",
                ]
            for (method, host, status), n in sorted(self.ingress.items()):
                out.append(
                    f'nginx_ingress_controller_requests{{method="{method}",host="{host}",status="{status}",'
                    f'service="{self.default_backend}"}} {n}'
                )
        return "\n".join(out) + "\n"


class Throttler:
    """Fixed window per (client IP, route), the window opening at the first hit."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: dict[tuple[str, str], tuple[float, int]] = {}

    def hit(self, ip: str, route: str, limit: int, window: float) -> tuple[bool, int, int]:
        now = time.monotonic()
        with self.lock:
            if len(self.hits) > 50000:
                self.hits = {k: v for k, v in self.hits.items() if now - v[0] < window}
            start, count = self.hits.get((ip, route), (now, 0))
            if now - start >= window:
                start, count = now, 0
            count += 1
            self.hits[(ip, route)] = (start, count)
        reset = max(0, int(start + window - now + 0.999))
        return count <= limit, max(0, limit - count), reset


FRONTEND_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="version" content="{version}">
<title>SME Receivable Platform</title><script type="module" src="/assets/index.js"></script></head>
<body><div id="root">SME Receivable Platform</div></body></html>
"""


class Handler(JSONHandler):
    server_version = "nginx"  # what the ingress answers with
    release: Release
    metrics: Metrics
    throttler: Throttler
    invoices: dict[str, dict[str, Any]]
    invoices_lock: threading.Lock

    def setup(self) -> None:
        super().setup()
        self._cors: dict[str, str] = {}
        self._rl: dict[str, str] = {}

    def extra_headers(self) -> dict[str, str]:
        return {**SECURITY_HEADERS, **self._cors, **self._rl}

    # dispatch -------------------------------------------------------------
    def do_GET(self) -> None:
        self.dispatch()

    def do_HEAD(self) -> None:
        self.dispatch()

    def do_POST(self) -> None:
        self.dispatch()

    def do_DELETE(self) -> None:
        self.dispatch()

    def do_PUT(self) -> None:
        self.dispatch()

    def do_PATCH(self) -> None:
        self.dispatch()

    def do_OPTIONS(self) -> None:
        self.dispatch()

    def client_ip(self) -> str:
        forwarded = self.headers.get("X-Forwarded-For")
        return forwarded.split(",")[0].strip() if forwarded else self.client_address[0]

    def route(self, path: str) -> str:
        if path in ("/health", "/metrics", "/api/auth/login", "/api/auth/me", "/api/invoices"):
            return path
        if re.fullmatch(r"/api/invoices/[^/]+", path):
            return "/api/invoices/:id"
        return path if path.startswith("/api/") else "unmatched"

    def dispatch(self) -> None:
        path = urlsplit(self.path).path.rstrip("/") or "/"
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower().rstrip(".")
        backend_path = path in ("/health", "/metrics") or path.startswith("/api/")
        # the stand-in's own (cached) reads of the cluster are not the platform's latency: before the clock starts
        backend_state = self.release.backend()["state"]
        if backend_path:
            self.release.settings()
        t0 = time.perf_counter()
        pod = isinstance(self.release, PodRelease)
        if pod and path in ("/live", "/ready"):
            ok = path == "/live" or self.release.ready()
            self.send_json(200 if ok else 503, {"status": "ok" if ok else "not ready"})
            return
        if not backend_path and (host in FRONTEND_HOSTS or (pod and self.server_args.frontend)):
            self.frontend()
            return
        settings = self.release.settings()
        origin = (self.headers.get("Origin") or "").rstrip("/")
        if origin and origin in settings["allowed_origins"]:
            self._cors = {
                "Access-Control-Allow-Origin": self.headers["Origin"],
                "Access-Control-Allow-Credentials": "true",
                "Vary": "Origin",
            }
        route = self.route(path)
        status = self.backend(path, route, settings)
        if path != "/metrics" and backend_state == "not deployed":
            # no backend exists: this answer is the ingress's, not the platform's
            self.metrics.observe_ingress(self.command, host, status)
            return
        self.metrics.observe(self.command, route, status, time.perf_counter() - t0)

    def frontend(self) -> None:
        if self.command not in ("GET", "HEAD"):
            self.send_body(405, b"Method Not Allowed\n", "text/plain")
            return
        version = self.release.frontend_version()
        if version is None:
            self.send_body(503, b"<html><body>503 Service Temporarily Unavailable</body></html>\n", "text/html")
            return
        self.send_body(200, FRONTEND_HTML.format(version=version).encode(), "text/html; charset=utf-8")

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> int:
        names = {
            400: "Bad Request",
            401: "Unauthorized",
            404: "Not Found",
            429: "Too Many Requests",
            500: "Internal Server Error",
            503: "Service Unavailable",
        }
        self.send_json(status, {"statusCode": status, "message": message, "error": names.get(status, "")}, headers)
        return status

    def backend(self, path: str, route: str, settings: dict[str, Any]) -> int:  # noqa: PLR0911 - one return per outcome
        if self.command == "OPTIONS":
            if self._cors:
                self._cors.update(
                    {
                        "Access-Control-Allow-Methods": "GET,HEAD,PUT,PATCH,POST,DELETE",
                        "Access-Control-Allow-Headers": self.headers.get(
                            "Access-Control-Request-Headers", "Content-Type, Authorization"
                        ),
                        "Access-Control-Max-Age": "600",
                    }
                )
            self.send_json(204, None)
            return 204
        if path == "/health":
            return self.health()
        if path == "/metrics":
            state = self.release.backend()
            self.send_body(200, self.metrics.render(state.get("version")).encode(), "text/plain; version=0.0.4")
            return 200
        if not path.startswith("/api/"):
            return self.error(404, f"Cannot {self.command} {path}")
        state = self.release.backend()
        if state["state"] != "deployed":
            return self.error(503, "Service Unavailable")
        ok, remaining, reset = self.throttler.hit(
            self.client_ip(), route, settings["rate_limit_max"], settings["rate_limit_window"]
        )
        self._rl = {
            "X-RateLimit-Limit": str(settings["rate_limit_max"]),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset),
        }
        if not ok:
            return self.error(429, "ThrottlerException: Too Many Requests", {"Retry-After": str(reset)})
        faulty = state["version"].endswith("-faulty")
        if route == "/api/auth/login" and self.command == "POST":
            return self.login(settings, faulty)
        if route == "/api/auth/me" and self.command == "GET":
            claims = self.authorised()
            if claims is None:
                return self.error(401, "Unauthorized")
            self.send_json(200, {"email": claims["email"], "role": claims["role"]})
            return 200
        if route in ("/api/invoices", "/api/invoices/:id"):
            return self.invoice_api(path, route)
        if route == "/api/admin/users" and self.command == "GET":
            return self.admin_users()
        return self.error(404, f"Cannot {self.command} {path}")

    def admin_users(self) -> int:
        claims = self.authorised()
        if claims is None:
            return self.error(401, "Unauthorized")
        if claims.get("role") != "admin":
            return self.error(403, "Forbidden resource")
        admins = admin_accounts(self.server_args.admins_file)
        self.send_json(200, {"items": admins, "total": len(admins)})
        return 200

    def health(self) -> int:
        state = self.release.backend()
        if state["state"] == "not deployed":
            self.send_json(503, {"status": "not deployed"})
            return 503
        if state["state"] != "deployed":
            self.send_json(503, {"status": "unavailable", "detail": state.get("detail", "")})
            return 503
        version = state["version"]
        deps = {"database": tcp_up(self.server_args.database_addr), "redis": tcp_up(self.server_args.redis_addr)}
        ok = not version.endswith("-faulty") and all(v == "up" for v in deps.values())
        body = {
            "status": "ok" if ok else "error",
            "version": version,
            "info": {k: {"status": v} for k, v in deps.items()},
            **deps,
        }
        if version.endswith("-faulty"):
            body["error"] = {"app": {"status": "down", "message": "unhandled exception at bootstrap"}}
        self.send_json(200 if ok else 503, body)
        return 200 if ok else 503

    def login(self, settings: dict[str, Any], faulty: bool) -> int:
        try:
            body = self.read_json() or {}
        except json.JSONDecodeError:
            return self.error(400, "invalid JSON body")
        if faulty:
            return self.error(500, "Internal server error")
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("email"), str)
            or not isinstance(body.get("password"), str)
        ):
            return self.error(400, "email and password are required")
        password = self.release.admin_password()
        if not password or body["email"].lower() != ADMIN_EMAIL or not hmac.compare_digest(body["password"], password):
            return self.error(401, "Invalid credentials")
        now = int(time.time())
        claims = {
            "sub": "1",
            "email": ADMIN_EMAIL,
            "role": "admin",
            "iat": now,
            "exp": now + settings["jwt_expires_in"],
        }
        token = jwt_encode(claims, self.release.jwt_secret())
        self.send_json(200, {"access_token": token, "token_type": "Bearer", "expires_in": settings["jwt_expires_in"]})
        return 200

    def authorised(self) -> dict[str, Any] | None:
        token = self.bearer()
        return jwt_decode(token, self.release.jwt_secret()) if token else None

    def invoice_api(self, path: str, route: str) -> int:  # noqa: PLR0911 - one return per outcome
        if self.authorised() is None:
            return self.error(401, "Unauthorized")
        if route == "/api/invoices":
            if self.command == "GET":
                with self.invoices_lock:
                    items = list(self.invoices.values())
                self.send_json(200, {"items": items, "total": len(items)})
                return 200
            if self.command != "POST":
                return self.error(404, f"Cannot {self.command} {path}")
            try:
                body = self.read_json()
            except json.JSONDecodeError:
                return self.error(400, "invalid JSON body")
            if not isinstance(body, dict):
                return self.error(400, "an invoice is a JSON object")
            invoice = {
                **body,
                "id": str(uuid.uuid4()),
                "status": body.get("status", "draft"),
                "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            with self.invoices_lock:
                if len(self.invoices) >= 10000:
                    self.invoices.pop(next(iter(self.invoices)))
                self.invoices[invoice["id"]] = invoice
            self.send_json(201, invoice)
            return 201
        invoice_id = path.rsplit("/", 1)[1]
        with self.invoices_lock:
            invoice = self.invoices.get(invoice_id)
            if invoice is not None and self.command == "DELETE":
                del self.invoices[invoice_id]
        if invoice is None:
            return self.error(404, f"Invoice {invoice_id} not found")
        if self.command == "GET":
            self.send_json(200, invoice)
            return 200
        if self.command == "DELETE":
            self.send_json(204, None)
            return 204
        return self.error(404, f"Cannot {self.command} {path}")


def tcp_up(addr: str | None) -> str:
    """'up' when addr (host:port) accepts a TCP connection; unset counts as up."""
    if not addr:
        return "up"
    host, _, port = addr.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return "up"
    except OSError:
        return "down"


def main() -> None:
    repo = Path(__file__).resolve().parents[3]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, help="default: 15543; with --pod $PORT (the chart sets it), else 3000")
    p.add_argument("--tls-dir", default=str(repo / ".lab/tls"))
    p.add_argument("--secrets-dir", default=str(repo / ".lab/edge/secrets"))
    p.add_argument("--kubeconfig", default=str(repo / ".lab/k8s/kubeconfig"))
    p.add_argument("--namespace", default="sme-platform")
    p.add_argument("--configmap", default="sme-platform-config")
    p.add_argument("--secret", default="sme-platform-secrets")
    p.add_argument("--deployment", default="sme-platform-backend")
    p.add_argument("--frontend-deployment", default="sme-platform-frontend")
    p.add_argument("--cache-ttl", type=float, default=1.0)
    p.add_argument(
        "--stale-ok",
        type=float,
        default=30.0,
        help="seconds the last good view of the cluster keeps serving while the API server does not answer",
    )
    p.add_argument("--static-version", help="serve this version without asking any cluster")
    p.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="with --static-version: override a ConfigMap setting",
    )
    p.add_argument("--ingress-class", default="nginx", help="IngressClass whose Ingresses get our address")
    p.add_argument("--ingress-address", help="load balancer address to publish (default: --listen)")
    p.add_argument("--ingress-interval", type=float, default=2.0, help="seconds between ingress status passes")
    p.add_argument("--database-addr", help="host:port whose TCP reachability /health reports as database")
    p.add_argument("--redis-addr", help="host:port whose TCP reachability /health reports as redis")
    p.add_argument("--pod", action="store_true", help="the platform's container: see the module's docstring")
    p.add_argument("--admins-file", help="JSON list of the admin accounts /api/admin/users lists (tests change it)")
    p.add_argument("--frontend", action="store_true", help="with --pod: serve the frontend's page on other paths")
    args = p.parse_args()
    args.setting = dict(s.split("=", 1) for s in args.setting)
    if args.pod:
        args.port = args.port or int(os.environ.get("PORT") or 3000)
        serve_pod(args)
        return
    args.port = args.port or 15543

    Handler.release = Release(args)
    Handler.metrics = Metrics()
    Handler.throttler = Throttler()
    Handler.invoices = {}
    Handler.invoices_lock = threading.Lock()
    Handler.server_args = args
    server = TLSServer((args.listen, args.port), Handler, tls_context(Path(args.tls_dir), sni_expired=True))
    mode = f"static version {args.static_version}" if args.static_version else f"kubeconfig {args.kubeconfig}"
    LOG.info("listening on https://%s:%d (%s)", args.listen, server.server_address[1], mode)
    stop = threading.Event()
    if Handler.release.kube is not None and args.ingress_class:
        publisher = IngressStatusPublisher(
            Handler.release.kube, args.ingress_class, args.ingress_address or args.listen, args.ingress_interval
        )
        threading.Thread(target=publisher.run, args=(stop,), name="ingress-status", daemon=True).start()
        LOG.info("ingress controller for IngressClass %s: publishing %s", args.ingress_class, publisher.wanted[0])
    serve_forever([server], on_stop=stop.set)


def admin_accounts(path: str | None) -> list[dict[str, Any]]:
    """The platform's admin accounts as its users table holds them: the file's list, else the lab's one admin."""
    if path and Path(path).is_file():
        try:
            found = json.loads(Path(path).read_text())
        except ValueError:
            found = None
        if isinstance(found, list):
            return found
    return [{"id": "1", "email": ADMIN_EMAIL, "role": "admin", "mfaEnabled": True}]


def serve_pod(args: argparse.Namespace) -> None:
    """Plain HTTP inside the pod (the ingress terminates TLS); no cluster access."""
    args.ingress_class = ""
    Handler.release = PodRelease(args)
    Handler.metrics = Metrics()
    Handler.throttler = Throttler()
    Handler.invoices = {}
    Handler.invoices_lock = threading.Lock()
    Handler.server_args = args
    server = http.server.ThreadingHTTPServer((args.listen, args.port), Handler)
    server.daemon_threads = True
    role = "frontend" if args.frontend else "backend"
    LOG.info("%s %s listening on http://%s:%d", role, args.static_version, args.listen, server.server_address[1])
    serve_forever([server])


if __name__ == "__main__":
    main()
