# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operations area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import checks as operations
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import (
    errors,
    stack,
    stack_inputs,
    status_page,
    window,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.dns import AddressResolver
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import SmeplatformError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import exit_checked


def run_operations_check(module: Any) -> None:
    """operations_check: run with the module's validated parameters and exit."""
    p = module.params

    def run() -> list:
        resolver = AddressResolver(p["dns_resolver"])
        settings = operations.OperationsSettings.from_options(p)
        return operations.check_operations(
            settings, lambda: HttpSession(ca_bundle=p["ca_bundle"], timeout=p["timeout"], lookup=resolver)
        )

    exit_checked(module, "operations", run)


def run_deploy_window(module: Any) -> None:
    """deploy_window: decide with the module's validated parameters and exit."""
    p = module.params
    try:
        settings = window.WindowSettings.from_options(p)
        resolver = AddressResolver(p["dns_resolver"])
        found, is_open = window.check_window(
            settings, lambda: HttpSession(ca_bundle=p["ca_bundle"], timeout=p["timeout"], lookup=resolver)
        )
    except SmeplatformError as exc:
        module.fail_json(msg=str(exc))
        return
    module.exit_json(
        changed=False,
        open=is_open,
        msg=("deployment window open: " if is_open else "deployment window closed: ") + found["detail"],
        evidence=[found],
    )


def run_operations_stack_check(module: Any) -> None:
    """operations_stack_check: run with the module's validated parameters and exit."""
    p = module.params

    def run() -> list:
        resolver = AddressResolver(p["dns_resolver"])
        settings = stack_inputs.StackSettings.from_options(p)
        cluster = stack_inputs.Cluster(lambda: k8s.Kube(p["kubeconfig"], p["context"], p["request_timeout"]))
        return stack.check_stack(
            settings,
            lambda: HttpSession(ca_bundle=p["ca_bundle"], timeout=p["timeout"], lookup=resolver),
            cluster,
            module.check_mode,
        )

    exit_checked(module, "operations stack", run)


def run_status_page(module: Any) -> None:
    """status_page: lift the deployment's maintenance, read the page back, and exit with post.day1.2."""
    p = module.params
    try:
        resolver = AddressResolver(p["dns_resolver"])
        result = status_page.update_status_page(
            p, lambda: HttpSession(ca_bundle=p["ca_bundle"], timeout=p["timeout"], lookup=resolver), module.check_mode
        )
    except SmeplatformError as exc:
        module.fail_json(msg=str(exc))
        return
    if not module._diff or result["diff"] is None:
        result.pop("diff")
    module.exit_json(**result)


def run_error_tracking_review(module: Any) -> None:
    """error_tracking_review: read the project's unresolved issues and exit with post.week1.2."""
    p = module.params

    def run() -> list:
        resolver = AddressResolver(p["dns_resolver"])
        return errors.review_errors(
            p, lambda: HttpSession(ca_bundle=p["ca_bundle"], timeout=p["timeout"], lookup=resolver)
        )

    exit_checked(module, "error tracking", run)
