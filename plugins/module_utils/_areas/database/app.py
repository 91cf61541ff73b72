# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform's own connection settings, read from the live cluster as the backend reads them with envFrom.

The chart (charts/sme-platform) gives the backend its ConfigMap ``<release>-config`` (DATABASE_HOST, DATABASE_PORT,
DATABASE_NAME, REDIS_HOST, REDIS_PORT, and any ``config.extra`` key such as DATABASE_USER) and the Secret the
secrets role writes (DATABASE_PASSWORD, REDIS_PASSWORD). A DATABASE_URL or REDIS_URL in either replaces the
separate keys, as it would in the application. The checks log in with exactly these values, so they prove what the
application will use, not what the inventory says.

Where the controller cannot reach an address the platform's settings name (a cluster-internal Service name), the
inventory may give a route: ``{"name:port": "host:port"}``, the address the controller connects to instead. A route
changes only the network connection; user, database and passwords still come from the platform, and the evidence
names both addresses.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.redis import RedisTarget, parse_url
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError, ConfigurationError

Mask = Callable[[str], None]


@dataclass(frozen=True)
class AppSettings:
    """The keys the backend reads, with where they came from; ``None`` for an object that does not exist."""

    namespace: str
    secret_name: str
    configmap_name: str
    secret: dict[str, str] | None
    config: dict[str, str] | None

    @property
    def secret_ref(self) -> str:
        return f"Secret {self.namespace}/{self.secret_name}"

    @property
    def configmap_ref(self) -> str:
        return f"ConfigMap {self.namespace}/{self.configmap_name}"

    def value(self, *names: str) -> tuple[str | None, str]:
        """The first of ``names`` set in the Secret or the ConfigMap, and where it was found."""
        for name in names:
            for data, ref in ((self.secret, self.secret_ref), (self.config, self.configmap_ref)):
                if data and data.get(name):
                    return data[name], f"{name} of {ref}"
        return None, ""


@dataclass(frozen=True)
class Fallback:
    """The inventory's values, used only for what the platform's ConfigMap does not say (before its first install)."""

    host: str = ""
    port: int = 0
    dbname: str = ""
    user: str = ""
    redis_host: str = ""
    redis_port: int = 6379


@dataclass(frozen=True)
class Resolved:
    """Connection settings of one server and the account of where each came from (no value of a secret)."""

    target: Any
    sources: list[str] = field(default_factory=list)
    problem: str = ""
    # How the controller reaches the target when the inventory routes the platform's address (routed()).
    route: str = ""


def read(kube: Any, namespace: str, secret_name: str, configmap_name: str, mask: Mask) -> AppSettings:
    """Read the Secret and the ConfigMap once; every Secret value is masked before anything else sees it."""
    secret_obj = k8s.get(
        kube, f"reading Secret {namespace}/{secret_name}", k8s.path("v1", "secrets", namespace, secret_name)
    )
    secret = None
    if secret_obj is not None:
        secret = {}
        for key, encoded in (secret_obj.get("data") or {}).items():
            try:
                value = base64.b64decode(encoded).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise ApiError(f"Secret {namespace}/{secret_name}: key {key} does not hold UTF-8 text") from None
            mask(value)
            secret[key] = value
    config_obj = k8s.get(
        kube, f"reading ConfigMap {namespace}/{configmap_name}", k8s.path("v1", "configmaps", namespace, configmap_name)
    )
    config = None if config_obj is None else {k: str(v) for k, v in (config_obj.get("data") or {}).items()}
    return AppSettings(namespace, secret_name, configmap_name, secret, config)


class Once:
    """Reads the settings at most once however many checks ask, from whichever thread asks first."""

    def __init__(self, reader: Callable[[], AppSettings]):
        self._reader = reader
        self._lock = threading.Lock()
        self._value: AppSettings | None = None

    def __call__(self) -> AppSettings:
        with self._lock:
            if self._value is None:
                self._value = self._reader()
            return self._value


Routes = Mapping[str, tuple[str, int]]


def _address(text: str, what: str) -> tuple[str, int]:
    host, sep, port = str(text).strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(f"{what} {text!r} is not host:port")
    return host, int(port)


def parse_routes(raw: Mapping[str, str] | None) -> dict[str, tuple[str, int]]:
    """``{"name:port": "host:port"}`` (the address as the platform names it, where the controller reaches it)."""
    table: dict[str, tuple[str, int]] = {}
    for named, via in (raw or {}).items():
        host, port = _address(named, "routes: the platform's address")
        table[f"{host.lower()}:{port}"] = _address(via, f"routes: the route of {named}")
    return table


def routed(host: str, port: int, routes: Routes) -> tuple[str, int, str]:
    """The address to connect to for the platform's ``host:port``, and the clause the evidence carries about it
    (empty without a route: the controller connects to what the platform names)."""
    via = routes.get(f"{host.lower()}:{port}")
    if via is None:
        return host, port, ""
    return via[0], via[1], f"{host}:{port} reached at {via[0]}:{via[1]} (the inventory's route)"


def _port(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} is {raw!r}, not a port number") from None


def database(settings: AppSettings, fallback: Fallback) -> Resolved:
    """host, port, dbname, user, password of the application's PostgreSQL login, as the application has them.

    The target is a dict of Endpoint's fields; the password is DATABASE_PASSWORD of the Secret, or the password of
    DATABASE_URL. A missing Secret or password is a problem, never a fallback to the inventory.
    """
    if settings.secret is None:
        return Resolved(None, problem=f"{settings.secret_ref} does not exist: run playbooks/generate_secrets.yml")
    url, url_from = settings.value("DATABASE_URL")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("postgres", "postgresql") or not parts.hostname:
            return Resolved(None, problem=f"{url_from} is not a postgresql:// URL")
        password = unquote(parts.password) if parts.password else settings.value("DATABASE_PASSWORD")[0]
        target = {
            "host": parts.hostname,
            "port": parts.port or 5432,
            "dbname": parts.path.strip("/") or fallback.dbname,
            "user": unquote(parts.username or "") or fallback.user,
            "password": password,
        }
        sources = [url_from]
    else:
        target, sources = {}, []
        for field_name, names, default in (
            ("host", ("DATABASE_HOST",), fallback.host),
            ("port", ("DATABASE_PORT",), fallback.port),
            ("dbname", ("DATABASE_NAME",), fallback.dbname),
            ("user", ("DATABASE_USER", "DATABASE_USERNAME"), fallback.user),
        ):
            value, where = settings.value(*names)
            target[field_name] = value if value else default
            sources.append(where or f"{names[0]} not set by the platform: the inventory's {field_name}")
        target["port"] = _port(str(target["port"]), "DATABASE_PORT")
        target["password"], where = settings.value("DATABASE_PASSWORD")
        sources.append(where)
    if not target["password"]:
        return Resolved(None, sources, f"{settings.secret_ref} has no DATABASE_PASSWORD")
    missing = [k for k in ("host", "dbname", "user") if not target[k]]
    if missing:
        return Resolved(None, sources, f"the platform's settings give no database {', '.join(missing)}")
    return Resolved(target, sources)


def redis(settings: AppSettings, fallback: Fallback) -> Resolved:
    """The application's Redis: REDIS_URL, else REDIS_HOST and REDIS_PORT; REDIS_PASSWORD of the Secret."""
    if settings.secret is None:
        return Resolved(None, problem=f"{settings.secret_ref} does not exist: run playbooks/generate_secrets.yml")
    password, password_from = settings.value("REDIS_PASSWORD")
    url, url_from = settings.value("REDIS_URL")
    if url:
        target = parse_url(url, password)
        sources = [url_from] + ([password_from] if password_from and "@" not in url else [])
    else:
        host, host_from = settings.value("REDIS_HOST")
        port, port_from = settings.value("REDIS_PORT")
        sources = [
            host_from or "REDIS_HOST not set by the platform: the inventory's redis host",
            port_from or "REDIS_PORT not set by the platform: the inventory's redis port",
            password_from,
        ]
        host = host or fallback.redis_host
        if not host:
            return Resolved(None, sources, "the platform's settings give no REDIS_HOST or REDIS_URL")
        target = RedisTarget(host, _port(port, "REDIS_PORT") if port else fallback.redis_port, password=password)
    if target.password is None:
        return Resolved(None, [s for s in sources if s], f"{settings.secret_ref} has no REDIS_PASSWORD")
    return Resolved(target, [s for s in sources if s])
