# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform's Redis, logged in to as the application does (checklist 3.2.3: REDIS_PASSWORD opens it).

3.2.3 asks for a REDIS_PASSWORD of 24 bytes; the secrets role proves the value, this proves it is the password of
the Redis the platform's settings point at: AUTH with it, PING, and INFO (version, role, memory policy) as the
evidence. A Redis that does not answer is named by its own address.
"""

from __future__ import annotations

import ssl
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database.app import Resolved
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.redis import (
    RedisConnection,
    RedisError,
    RedisTarget,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConnectionFailure
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if

ITEM = "3.2.3"


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def _advice(target: RedisTarget, error: ConnectionFailure, settings_ref: str, route: str = "") -> str:
    if isinstance(error, RedisError):
        reply = error.reply.upper()
        if reply.startswith(("WRONGPASS", "INVALID")) or "INVALID PASSWORD" in reply or "INVALID USERNAME" in reply:
            return f"REDIS_PASSWORD of {settings_ref} is not this server's password: set requirepass to it"
        if "WITHOUT ANY PASSWORD CONFIGURED" in reply:
            return "this Redis has no password: set requirepass to REDIS_PASSWORD"
        return ""
    settings = "the inventory's route" if route else "the platform's REDIS_HOST/REDIS_PORT"
    return f"start Redis at {target.address} (or correct {settings})"


def redis_entry(
    resolved: Resolved,
    settings_ref: str,
    min_version: int,
    timeout: float,
    ssl_context: ssl.SSLContext | None = None,
) -> dict[str, Any]:
    """3.2.3: log in to the platform's Redis with its REDIS_PASSWORD; PING answers PONG; INFO says what it is."""
    threshold = f"AUTH with REDIS_PASSWORD accepted, PING answers PONG, role master, version >= {min_version}"
    if resolved.target is None:
        return entry(ITEM, "failed", measured="no settings", threshold=threshold, detail=resolved.problem)
    target: RedisTarget = resolved.target
    try:
        with RedisConnection(target, timeout=timeout, ssl_context=ssl_context) as conn:
            conn.login()
            pong = conn.command("PING")
            info = {**conn.info("server"), **conn.info("replication"), **conn.info("memory")}
    except ConnectionFailure as exc:
        advice = _advice(target, exc, settings_ref, resolved.route)
        return entry(
            ITEM,
            "failed",
            measured="no login",
            threshold=threshold,
            detail=f"{exc}" + (f"; {advice}" if advice else "") + (f" ({resolved.route})" if resolved.route else ""),
            where=target.url,
        )
    version, role = info.get("redis_version", ""), info.get("role", "")
    measured = {
        "ping": pong,
        "redis_version": version,
        "role": role,
        "maxmemory": info.get("maxmemory"),
        "maxmemory_policy": info.get("maxmemory_policy"),
    }
    problems = []
    if pong != "PONG":
        problems.append(f"PING answered {pong!r}")
    if role != "master":
        problems.append(f"it is a {role or 'server of unknown role'}: the platform writes, point it at the master")
    if _major(version) < min_version:
        problems.append(f"version {version or 'unknown'} is below {min_version}")
    return passed_if(
        ITEM,
        not problems,
        measured=measured,
        threshold=threshold,
        detail="; ".join(problems)
        or (
            f"REDIS_PASSWORD of {settings_ref} logs in to Redis {version} at {target.address} "
            f"({role}, maxmemory-policy {info.get('maxmemory_policy', '?')}); settings: {', '.join(resolved.sources)}"
            + (f"; {resolved.route}" if resolved.route else "")
        ),
        where=target.url,
    )
