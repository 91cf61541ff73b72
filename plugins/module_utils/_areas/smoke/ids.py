# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smoke gate's checks and the checklist items each proves: the one place these ids are written."""

from __future__ import annotations

# Which checklist items each check proves when it runs after a deployment.
EVIDENCE_IDS: dict[str, tuple[str, ...]] = {
    "health": ("deploy.5", "deploy.7.3", "success.2"),
    "frontend": ("deploy.5", "deploy.7.3"),
    "login": ("deploy.5", "deploy.7.8", "success.7"),
    "jwt_lifetime": ("7.2.5",),
    "invoice": ("deploy.7.9", "success.8"),
    "tls": ("deploy.7.5", "2.2.5"),
    "dns": ("deploy.7.6", "2.2.4"),
    "csp": ("7.2.3",),
    "security_headers": ("7.2.4",),
    "cors": ("7.2.2",),
    "rate_limit": ("7.2.1",),
    "pods": ("deploy.5", "deploy.7.1", "success.1"),
    "email": ("deploy.7.7", "post.hour.5", "success.6"),
    "sms": ("post.hour.5", "success.6"),
    "payment": ("post.hour.5", "success.6"),
    "error_rate": ("post.hour.1", "success.3"),
    "latency_p95": ("post.hour.2", "success.4"),
    "critical_alerts": ("success.5",),
    "errors_10m": ("deploy.7.2",),
}
CHECKS = tuple(EVIDENCE_IDS)
# After a rollback the question is narrower: is the previous release serving again?
ROLLBACK_CHECKS = ("pods", "health", "frontend", "login")
ROLLBACK_IDS = ("rollback.4",)
PURPOSES = ("deploy", "rollback")
