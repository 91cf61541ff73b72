# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one check runner: every check of every area runs on it.

One thread pool (:func:`concurrently`) runs independent checks side by side and stops waiting at a deadline.
Two ways of asking it:

- a batch of :class:`Check` (the pre-deployment areas): each returns evidence entries; an unreachable server
  fails the items of that check only, bad input fails the module. :func:`run_checks`.
- a gate of :class:`Probe` (the smoke gate): each returns an :class:`Outcome`; a failed one is retried with
  exponential backoff while its settling window lasts, everything stops at the overall budget.
  :func:`run_probes`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
    SmeplatformError,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry

Entries = list[dict[str, Any]]
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


def concurrently(
    fn: Callable[[Any], Any], items: Sequence[Any], workers: int, timeout: float | None = None, name: str = "check"
) -> list[Future]:
    """Run ``fn`` on every item on at most ``workers`` threads; wait until all are done or ``timeout`` passes.

    Futures come back in the order of the items; those not done by the timeout are cancelled or left to finish
    on their own (their results are not waited for).
    """
    executor = ThreadPoolExecutor(max_workers=max(1, min(workers, len(items))), thread_name_prefix=name)
    try:
        futures = [executor.submit(fn, item) for item in items]
        wait(futures, timeout=timeout)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    return futures


# --- a batch of checks, each returning evidence ------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One check: the checklist ids it proves and the function that measures them."""

    ids: tuple[str, ...]
    run: Callable[[], Entries]
    where: str = ""
    # What to do when the server cannot be reached, added to the failure's one line ("start Prometheus at ...").
    advice: str = ""


def run_checks(checks: Iterable[Check], max_workers: int = 6) -> Entries:
    """Run checks concurrently; a server that cannot be reached fails the items of that check only.

    Bad input (ConfigurationError) is not a measurement: it propagates and fails the module.
    Entries come back in the order of the checks, whatever order they finished in.
    """
    checks = list(checks)

    def one(check: Check) -> Entries:
        started = time.monotonic()
        try:
            found = check.run()
        except ConfigurationError:
            raise
        except ConnectionFailure as exc:
            detail = f"{exc}; {check.advice}" if check.advice else str(exc)
            found = [entry(i, FAILED, detail=detail, where=check.where) for i in check.ids]
        except ApiError as exc:
            found = [entry(i, FAILED, detail=str(exc), where=check.where) for i in check.ids]
        elapsed = time.monotonic() - started
        for item in found:
            if item.get("duration") is None:
                item["duration"] = round(elapsed, 3)
        return found

    if not checks:
        return []
    futures = concurrently(one, checks, max_workers)
    return [e for future in futures for e in future.result()]


# --- a gate of probes, each returning an outcome, retried within a budget ----------------------------


@dataclass
class Outcome:
    """What one attempt of a probe found. `final` stops retrying (a retry cannot change the answer)."""

    status: str
    measured: Any = None
    threshold: Any = None
    detail: str = ""
    where: str = ""
    final: bool = False


def passed(measured: Any = None, threshold: Any = None, detail: str = "", where: str = "") -> Outcome:
    return Outcome(PASSED, measured, threshold, detail, where)


def failed(
    measured: Any = None, threshold: Any = None, detail: str = "", where: str = "", final: bool = False
) -> Outcome:
    return Outcome(FAILED, measured, threshold, detail, where, final)


def skipped(detail: str, measured: Any = None, threshold: Any = None, where: str = "") -> Outcome:
    return Outcome(SKIPPED, measured, threshold, detail, where)


@dataclass
class Probe:
    """A named probe, the group it belongs to (for selection and evidence ids) and its function."""

    name: str
    group: str
    run: Callable[[], Outcome]
    retry: bool = True
    on_done: Callable[[Outcome], None] | None = None


@dataclass
class ProbeResult:
    name: str
    group: str
    status: str
    measured: Any
    threshold: Any
    detail: str
    where: str
    attempts: int
    duration: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class RetryPolicy:
    """Retry a failed probe after `backoff` seconds, doubling up to `backoff_max`, while `settle` seconds last."""

    settle: float = 20.0
    backoff: float = 0.5
    backoff_max: float = 4.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if self.settle < 0 or self.backoff <= 0 or self.backoff_max < self.backoff or self.factor < 1:
            raise ConfigurationError(
                "retry settings must satisfy settle >= 0, backoff > 0, backoff_max >= backoff, factor >= 1"
            )


def _attempt(fn: Callable[[], Outcome]) -> Outcome:
    try:
        outcome = fn()
    except SmeplatformError as exc:
        return failed(detail=str(exc))
    except Exception as exc:  # noqa: BLE001 - one broken probe must not hide the results of the others
        return failed(detail=f"{type(exc).__name__}: {exc}")
    if not isinstance(outcome, Outcome) or outcome.status not in (PASSED, FAILED, SKIPPED):
        return failed(detail=f"check returned {outcome!r}", final=True)
    return outcome


def run_with_retry(
    fn: Callable[[], Outcome],
    policy: RetryPolicy,
    deadline: float,
    retry: bool = True,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Outcome, int]:
    """Run fn until it does not fail, its failure is final, or the next try would end after the settling window
    or the overall deadline. Returns the last outcome and the number of attempts."""
    start = clock()
    settle_end = min(start + policy.settle, deadline)
    delay = policy.backoff
    attempts = 0
    while True:
        attempts += 1
        outcome = _attempt(fn)
        if outcome.status != FAILED or outcome.final or not retry:
            return outcome, attempts
        if clock() + delay > settle_end:
            if attempts > 1:
                outcome.detail = (
                    f"{outcome.detail} (still failing after {attempts} attempts in {clock() - start:.1f} s)"
                )
            return outcome, attempts
        sleep(delay)
        delay = min(delay * policy.factor, policy.backoff_max)


def run_probes(
    probes: list[Probe],
    policy: RetryPolicy,
    budget: float,
    workers: int = 16,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ProbeResult]:
    """Run every probe concurrently; one result per probe, in the order given."""
    if budget <= 0 or workers < 1:
        raise ConfigurationError("budget must be > 0 seconds and workers >= 1")
    names = [c.name for c in probes]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"duplicate check names: {sorted({n for n in names if names.count(n) > 1})}")
    deadline = clock() + budget

    def one(probe: Probe) -> ProbeResult:
        started = clock()
        outcome, attempts = run_with_retry(probe.run, policy, deadline, probe.retry, clock, sleep)
        if probe.on_done is not None:
            probe.on_done(outcome)
        return ProbeResult(
            probe.name,
            probe.group,
            outcome.status,
            outcome.measured,
            outcome.threshold,
            outcome.detail,
            outcome.where,
            attempts,
            round(clock() - started, 3),
        )

    if not probes:
        return []
    futures = concurrently(one, probes, workers, timeout=max(0.0, deadline - clock()), name="smoke")
    results = []
    for probe, future in zip(probes, futures, strict=True):
        if future.done() and not future.cancelled():
            results.append(future.result())
            continue
        if probe.on_done is not None:
            probe.on_done(failed(detail="not finished"))
        results.append(
            ProbeResult(
                probe.name,
                probe.group,
                FAILED,
                None,
                None,
                f"not finished within the overall budget of {budget:g} s",
                "",
                0,
                round(budget, 3),
            )
        )
    return results


class Handoff:
    """A value one probe produces and others wait for (the login token)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._value: Any = None
        self._why = ""

    def put(self, value: Any) -> None:
        self._value = value
        self._event.set()

    def close(self, outcome: Outcome) -> None:
        if not self._event.is_set():
            self._why = outcome.detail or outcome.status
            self._event.set()

    def get(self, timeout: float) -> Any:
        if not self._event.wait(max(0.0, timeout)):
            return None
        return self._value

    @property
    def why(self) -> str:
        return self._why or "not available in time"
