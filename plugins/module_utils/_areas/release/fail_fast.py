# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What stops an upgrade before helm's timeout: a cause that waiting does not cure (a container's image pull back-off,
an image never pulled, a crash loop, a pod the API refuses to create), and the Pod Security warnings of a server dry
run, found in helm's error output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import diagnostics
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release.lock import process_alive
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s

# Container states and events that waiting does not cure: the upgrade is stopped at once with their text.
FATAL_WAITING = ("ImagePullBackOff", "ErrImageNeverPull", "CrashLoopBackOff", "InvalidImageName")
FATAL_EVENTS = ("FailedCreate",)
POD_SECURITY_WARNING = "would violate PodSecurity"


def _stamp(value: Any) -> str:
    return str(value or "")


class FailFast:
    """Looks at the namespace while helm waits: a pod created since the upgrade started whose container waits
    for a reason that does not pass (image pull back-off, image never pulled, crash loop), or a FailedCreate
    event since then (a ReplicaSet whose pods the API refuses, e.g. for Pod Security), is the cause to stop.

    So is the end of the ansible-playbook process that started the upgrade (`controller`, 0 when unknown): killed,
    it leaves its task's worker behind, and helm would go on changing the release while the next run takes the
    deployment lock over. Stopped, the release is left pending, which the next run recovers.
    """

    def __init__(
        self,
        kube: Any,
        namespace: str,
        started: str,
        controller: int = 0,
        alive: Callable[[int], bool] = process_alive,
    ):
        self.kube = kube
        self.namespace = namespace
        self.started = started  # RFC 3339 second precision, as the API stamps objects and events
        self.controller = controller
        self.alive = alive

    def cause(self) -> str | None:
        if self.controller and not self.alive(self.controller):
            return (
                f"the ansible-playbook process {self.controller} that started this upgrade is gone; helm is stopped "
                "so that nothing changes the release any more (the next run recovers it)"
            )
        for pod in diagnostics.list_pods(self.kube, self.namespace):
            meta = pod.get("metadata") or {}
            if _stamp(meta.get("creationTimestamp")) < self.started or meta.get("deletionTimestamp"):
                continue
            for status in (pod.get("status") or {}).get("containerStatuses") or []:
                waiting = (status.get("state") or {}).get("waiting") or {}
                if waiting.get("reason") in FATAL_WAITING:
                    text = " ".join(str(waiting.get("message") or "").split())
                    return (
                        f"pod {self.namespace}/{meta.get('name')} container {status.get('name')}: "
                        f"{waiting['reason']}{': ' + text if text else ''}"
                    )
        # asked by reason: a namespace keeps an hour of events (hundreds after a few rollouts), read every 2 s
        what = f"events of {self.namespace}"
        events = [
            event
            for reason in FATAL_EVENTS
            for event in k8s.items(self.kube, what, "v1", "events", self.namespace, field_selector=f"reason={reason}")
        ]
        for event in events:
            when = _stamp(event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp"))
            if event.get("reason") in FATAL_EVENTS and when[:19] >= self.started[:19]:
                obj = event.get("involvedObject") or {}
                text = " ".join(str(event.get("message") or "").split())
                return f"{obj.get('kind')} {self.namespace}/{obj.get('name')}: {event['reason']}: {text}"
        return None


def pod_security_warnings(stderr: str) -> list[str]:
    """The Pod Security warnings of a server dry run (helm prints the API's warnings on its stderr)."""
    found = []
    for line in (stderr or "").splitlines():
        if POD_SECURITY_WARNING in line:
            text = line.split("] ", 1)[1] if "] " in line else line
            text = text.removeprefix("Warning: ").strip()
            if text not in found:
                found.append(text)
    return found
