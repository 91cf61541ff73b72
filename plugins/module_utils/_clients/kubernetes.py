# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Kubernetes client of the collection: connection options (documented by the doc fragment
smeplatform.deploy.kubernetes), client, error mapping."""

from __future__ import annotations

import os
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)

try:
    import urllib3
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    from kubernetes.client.rest import ApiException

    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None
except ImportError as exc:  # reported by the module with missing_required_lib
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = exc
    ApiException = Exception  # type: ignore[assignment,misc]

# Connection options shared by every module that talks to Kubernetes (Kube reads the environment fallbacks).
CONNECTION_ARGS: dict[str, dict[str, Any]] = {
    "kubeconfig": {"type": "path"},
    "context": {"type": "str"},
    "request_timeout": {"type": "float", "default": 20.0},
}


def connection_args() -> dict[str, dict[str, Any]]:
    """A fresh copy of the shared connection options, for a module's argument spec."""
    return {name: dict(option) for name, option in CONNECTION_ARGS.items()}


_API_GROUPS = {
    "core": "CoreV1Api",
    "apps": "AppsV1Api",
    "batch": "BatchV1Api",
    "coordination": "CoordinationV1Api",
    "networking": "NetworkingV1Api",
    "storage": "StorageV1Api",
    "rbac": "RbacAuthorizationV1Api",
    "autoscaling": "AutoscalingV2Api",
    "authorization": "AuthorizationV1Api",
    "version": "VersionApi",
}


class Kube:
    """An API session: load the configuration once, hand out typed API objects."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None, request_timeout: float = 20.0):
        if not HAS_KUBERNETES:
            raise ConfigurationError(f"the kubernetes Python client is required: {KUBERNETES_IMPORT_ERROR}")
        kubeconfig = kubeconfig or os.environ.get("K8S_AUTH_KUBECONFIG") or os.environ.get("KUBECONFIG")
        configuration = k8s_client.Configuration()
        try:
            if kubeconfig or os.path.exists(os.path.expanduser("~/.kube/config")):
                k8s_config.load_kube_config(
                    config_file=os.path.expanduser(kubeconfig) if kubeconfig else None,
                    context=context,
                    client_configuration=configuration,
                )
            else:
                k8s_config.load_incluster_config(client_configuration=configuration)
        except (k8s_config.ConfigException, OSError) as exc:
            where = kubeconfig or "the in-cluster configuration"
            raise ConfigurationError(f"cannot load Kubernetes credentials from {where}: {exc}") from exc
        configuration.retries = 1
        self.timeout = request_timeout
        self.server = configuration.host
        self.api = k8s_client.ApiClient(configuration)

    def __getattr__(self, name: str) -> Any:
        """Typed API groups (core, apps, ...), built on first use: building one costs seconds."""
        class_name = _API_GROUPS.get(name)
        if class_name is None:
            raise AttributeError(name)
        group = getattr(k8s_client, class_name)(self.api)
        setattr(self, name, group)
        return group

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the API, mapping failures to the collection's errors; `what` names the object."""
        kwargs.setdefault("_request_timeout", self.timeout)
        try:
            return fn(*args, **kwargs)
        except ApiException as exc:
            if exc.status in (401, 403):
                raise ConnectionFailure(
                    f"Kubernetes API at {self.server} refused {what}: {exc.status} {exc.reason}"
                ) from exc
            raise ApiError(f"Kubernetes API at {self.server}: {what} failed: {exc.status} {exc.reason}") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ConnectionFailure(f"cannot reach the Kubernetes API at {self.server} for {what}: {exc}") from exc

    def get_or_none(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Like call(), but None when the object does not exist."""
        try:
            return self.call(what, fn, *args, **kwargs)
        except ApiError as exc:
            cause = exc.__cause__
            if isinstance(cause, ApiException) and cause.status == 404:
                return None
            raise
