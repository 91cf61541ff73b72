# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment lock: one coordination.k8s.io Lease per release.

The Lease records who holds the lock (holderIdentity), since when (acquireTime), and until when
(renewTime + leaseDurationSeconds). Taking it is a create, or a replace carrying the resourceVersion that
was read, so of two runs racing for it exactly one wins (the other gets 409 Conflict and fails naming the
winner). Releasing deletes the Lease, and only when the caller still holds it.

Heartbeat: the lease duration is short (60 s by default) and the holder renews renewTime every third of it
from a background process (heartbeat()) that lives as long as the ansible-playbook process that took the
lock; it stops when that process is gone or the Lease no longer names it (given back, taken over). So a
Lease not renewed for a whole duration (three periods) belongs to a run that died and is taken over with a
warning; a Lease whose holder runs on this host under a process id that no longer exists is taken over at
once; any other holder is only replaced with break_lock, also with a warning.
"""

from __future__ import annotations

import datetime
import getpass
import os
import re
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    LockHeld,
    SmeplatformError,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.sync import NONE, Plan, sync
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import parse_time

LEASES = "coordination.k8s.io/v1"

MANAGED_BY = "smeplatform.deploy"


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def micro_time(value: datetime.datetime) -> str:
    """RFC 3339 with exactly six fractional digits, as the MicroTime type wants."""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def controller_pid(start: int | None = None) -> int:
    """The ansible-playbook process this module runs under (the outermost ancestor running it: its task
    workers are forks with the same command line); 0 when there is none on this host (a remote target)."""
    found = 0
    pid = start or os.getppid()
    seen = 0
    while pid > 1 and seen < 64:
        if "ansible-playbook" in _cmdline(pid) or "ansible-runner" in _cmdline(pid):
            found = pid
        pid = _parent(pid)
        seen += 1
    return found


def process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def default_identity(pid: int | None = None) -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid={pid or os.getpid()} run={uuid.uuid4().hex[:8]}"


HOLDER = re.compile(r"@(?P<host>[^\s@]+) pid=(?P<pid>\d+)\b")


def dead_holder(holder: str, host: str | None = None) -> str | None:
    """Why the holder is known dead: it ran on this host under a process id that no longer exists."""
    match = HOLDER.search(holder or "")
    if not match or match["host"] != (host or socket.gethostname()):
        return None
    pid = int(match["pid"])
    if process_alive(pid):
        return None
    return f"its process {pid} on {match['host']} no longer exists"


def lease_name(release: str) -> str:
    return f"{release}-deploy-lock"[:253]


@dataclass
class LockState:
    holder: str
    acquired: datetime.datetime | None
    renewed: datetime.datetime | None
    duration: int
    resource_version: str | None

    @property
    def expires(self) -> datetime.datetime | None:
        start = self.renewed or self.acquired
        return start + datetime.timedelta(seconds=self.duration) if start else None

    def expired(self, at: datetime.datetime | None = None) -> bool:
        expires = self.expires
        return expires is None or expires <= (at or now())

    def describe(self) -> dict[str, Any]:
        return {
            "holder": self.holder,
            "acquired": micro_time(self.acquired) if self.acquired else None,
            "expires": micro_time(self.expires) if self.expires else None,
            "duration": self.duration,
        }


def _state(lease: dict[str, Any] | None) -> LockState | None:
    if lease is None:
        return None
    spec = lease.get("spec") or {}
    return LockState(
        holder=spec.get("holderIdentity") or "",
        acquired=parse_time(spec.get("acquireTime")),
        renewed=parse_time(spec.get("renewTime")),
        duration=int(spec.get("leaseDurationSeconds") or 0),
        resource_version=(lease.get("metadata") or {}).get("resourceVersion"),
    )


class DeployLock:
    def __init__(self, kube: Any, namespace: str, name: str, identity: str, duration: int):
        if duration <= 0:
            raise ConfigurationError("the lock duration must be a positive number of seconds")
        if not identity:
            raise ConfigurationError("the lock holder identity must not be empty")
        self.kube = kube
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.duration = duration
        self.where = f"Lease {namespace}/{name}"

    def read(self) -> LockState | None:
        return _state(k8s.get(self.kube, self.where, k8s.path(LEASES, "leases", self.namespace, self.name)))

    def _body(self, resource_version: str | None, acquired: datetime.datetime) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "name": self.name,
            "namespace": self.namespace,
            "labels": {"app.kubernetes.io/managed-by": MANAGED_BY},
        }
        if resource_version:
            metadata["resourceVersion"] = resource_version
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": metadata,
            "spec": {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": self.duration,
                "acquireTime": micro_time(acquired),
                "renewTime": micro_time(now()),
            },
        }

    def _held(self, state: LockState) -> LockHeld:
        expires = micro_time(state.expires) if state.expires else "never"
        taken = micro_time(state.acquired) if state.acquired else "?"
        return LockHeld(
            f"deployment lock {self.where} is held by {state.holder!r} (taken {taken}, "
            f"expires {expires} unless renewed); wait for that run to finish, or set release_lock_break (break_lock) "
            "if that run is known to be dead"
        )

    def ensure_namespace(self, check_mode: bool = False) -> dict[str, Any]:
        """Create the lock's namespace when missing (the one object made before the lock is held); sync's result."""
        return k8s.ensure_namespace(self.kube, self.namespace, check_mode, {"app.kubernetes.io/managed-by": MANAGED_BY})

    def label_namespace(self, labels: dict[str, str], check_mode: bool = False) -> dict[str, Any]:
        """Merge labels into the namespace (Pod Security Admission levels); changed when one differed."""
        what = f"namespace {self.namespace}"
        ns_path = k8s.path("v1", "namespaces", name=self.namespace)
        live = k8s.get(self.kube, what, ns_path)
        current = ((live or {}).get("metadata") or {}).get("labels") or {}
        missing = {k: v for k, v in labels.items() if current.get(k) != v}
        merged = {**current, **missing}
        plan = Plan(
            "label" if missing else NONE,
            "".join(f"{k}: {current[k]}\n" for k in sorted(current)),
            "".join(f"{k}: {v}\n" for k, v in sorted(merged.items())),
        )

        def apply(_plan: Plan) -> None:
            if live is None:
                self.ensure_namespace()
            k8s.request(
                self.kube,
                f"label {what}",
                "PATCH",
                ns_path,
                {"metadata": {"labels": missing}},
                None,
                k8s.MERGE_PATCH,
            )

        done = sync(plan, apply, check_mode, diff_header=f"{what} labels")
        result = {"name": self.namespace, "changed": done["changed"], "labels": merged}
        if "diff" in done:
            result["diff"] = done["diff"]
        return result

    def _takeover_reason(self, state: LockState | None, break_lock: bool) -> str | None:
        """Why another holder's lock may be taken over (expired, dead holder, break_lock); None when it may not."""
        if state is None or not state.holder or state.holder == self.identity:
            return None
        why = dead_holder(state.holder)  # the cause, when known, rather than its consequence (expiry)
        if why is None and state.expired():
            last = state.renewed or state.acquired
            why = (
                f"not renewed since {micro_time(last) if last else '?'} "
                f"(expired {micro_time(state.expires) if state.expires else 'at once'})"
            )
        if why is None and break_lock:
            why = "break_lock was set"
        return why

    def free(self, check_mode: bool = False, break_lock: bool = False) -> dict[str, Any]:
        """Take nothing; raise LockHeld when another live run holds the lock (so that a run is refused before
        it changes anything). A lock that acquire() would take over counts as free, said in a warning."""
        state = self.read()
        result: dict[str, Any] = {"lease": self.where, "holder": self.identity, "warnings": [], "changed": False}
        if state is None or not state.holder or state.holder == self.identity:
            return result
        why = self._takeover_reason(state, break_lock)
        if why is None:
            if check_mode:
                result.update(held_by=state.describe())
                result["warnings"].append(f"check mode: {self._held(state)}")
                return result
            raise self._held(state)
        result["held_by"] = state.describe()
        result["warnings"].append(f"deployment lock {self.where} held by {state.holder!r} will be taken over: {why}")
        return result

    def acquire(self, check_mode: bool = False, break_lock: bool = False) -> dict[str, Any]:
        """Take the lock; raise LockHeld naming the holder when another live run has it.

        Another holder's lock is taken over, with a warning saying why, when it was not renewed for its
        whole duration, when its process is known dead (same host), or when break_lock is set."""
        state = self.read()
        result: dict[str, Any] = {"lease": self.where, "holder": self.identity, "warnings": []}
        why = self._takeover_reason(state, break_lock)
        if state is not None and state.holder and state.holder != self.identity and why is None:
            if check_mode:
                result.update(changed=False, held_by=state.describe())
                result["warnings"].append(f"check mode takes no lock: {self._held(state)}")
                return result
            raise self._held(state)
        if state is not None and state.holder == self.identity:
            result["reentered"] = True
        elif state is not None and state.holder:
            result["taken_over_from"] = state.describe()
            result["warnings"].append(
                f"took over the deployment lock {self.where} from {state.holder!r}: {why}; "
                "that run did not give it back (a release it left pending is recovered by this run)"
            )
        acquired = state.acquired if state is not None and state.holder == self.identity and state.acquired else now()

        def take(_plan: Plan) -> dict[str, Any]:
            try:
                if state is None:
                    k8s.request(
                        self.kube,
                        f"create {self.where}",
                        "POST",
                        k8s.path(LEASES, "leases", self.namespace),
                        self._body(None, acquired),
                    )
                else:
                    k8s.request(
                        self.kube,
                        f"replace {self.where}",
                        "PUT",
                        k8s.path(LEASES, "leases", self.namespace, self.name),
                        self._body(state.resource_version, acquired),
                    )
            except ApiError as exc:
                if k8s.status_of(exc) == 409:
                    winner = self.read()
                    if winner is not None and winner.holder:
                        raise self._held(winner) from exc
                raise
            taken = self.read()
            if taken is None or taken.holder != self.identity:
                raise self._held(taken) if taken else ApiError(f"{self.where} vanished right after it was taken")
            return taken.describe()

        done = sync(Plan("take" if state is None else "renew"), take, check_mode, bookkeeping=True)
        result["changed"] = done["changed"]
        if done["applied"] is not None:
            result["lock"] = done["applied"]
        return result

    def renew(self) -> bool:
        """Move renewTime to now while this holder has the lock; False once it is gone or someone else's."""
        state = self.read()
        if state is None or state.holder != self.identity:
            return False
        try:
            k8s.request(
                self.kube,
                f"renew {self.where}",
                "PUT",
                k8s.path(LEASES, "leases", self.namespace, self.name),
                self._body(state.resource_version, state.acquired or now()),
            )
        except ApiError as exc:
            if k8s.status_of(exc) == 404:  # given back meanwhile (a replace with a resourceVersion never creates)
                return False
            if k8s.status_of(exc) != 409:  # 409: changed meanwhile; the next round reads it again
                raise
        return True

    def heartbeat(
        self,
        controller: int,
        period: float | None = None,
        sleep: Any = time.sleep,
        alive: Any = process_alive,
    ) -> str:
        """Renew every period (a third of the duration) while the controller process lives and the lock is
        this holder's; returns why it stopped. An unreachable API server is retried until the lock expires."""
        period = period or max(1.0, self.duration / 3)
        while True:
            sleep(period)
            if controller and not alive(controller):
                return f"the ansible-playbook process {controller} is gone; the lock expires unrenewed"
            try:
                if not self.renew():
                    return "the lock was given back or taken over"
            except SmeplatformError:  # API server unreachable or erring: try again next period
                continue

    def release(self, check_mode: bool = False) -> dict[str, Any]:
        """Give the lock back; a lock held by someone else is left alone (and said so)."""
        result: dict[str, Any] = {"lease": self.where, "holder": self.identity, "warnings": [], "changed": False}
        for _attempt in range(5):
            state = self.read()
            if state is None:
                return result
            if state.holder != self.identity:
                result["warnings"].append(
                    f"deployment lock {self.where} is held by {state.holder!r}, not by this run; left in place"
                )
                return result
            version = state.resource_version

            def delete(_plan: Plan, version: str | None = version) -> Any:
                path = k8s.path(LEASES, "leases", self.namespace, self.name)
                options = {"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"resourceVersion": version}}
                return k8s.request(self.kube, f"delete {self.where}", "DELETE", path, options)

            try:
                result["changed"] = sync(Plan("delete"), delete, check_mode, bookkeeping=True)["changed"]
            except ApiError as exc:
                if k8s.status_of(exc) == 409:  # renewed by the heartbeat meanwhile: read it again
                    continue
                if k8s.status_of(exc) == 404:
                    return result
                raise
            return result
        raise ApiError(f"could not give back {self.where}: it kept changing; delete it once this run has ended")
