# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Application configuration checks: environment settings (5.1.x, 5.2.x, 5.4.1), the SMTP relay (5.3.1) and the
sender domain's SPF and DKIM records (5.3.3)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.app_config import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.dns import lookup
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.smtp import PinnedSMTP
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.tls import tls_context
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConnectionFailure,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build, settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, Entries, run_checks

FEATURE_FLAGS = {
    "5.2.1": "ENABLE_MILESTONE_WORKFLOWS",
    "5.2.2": "ENABLE_INVOICE_CONCIERGE",
    "5.2.3": "ENABLE_CREDIT_DECISIONING",
}
FALSE_WORDS = ("false", "0", "no", "off")


@dataclass(frozen=True)
class ConfigPolicy:
    """What the application's settings are held to; every value comes from app_config_check's option table."""

    node_env: str
    frontend_url: str
    domain: str
    rate_limit_max: int
    rate_limit_window_ms: int
    log_level: str
    # expected flag values by name; a flag not listed only has to be set to true or false
    feature_flags: dict[str, bool]

    @classmethod
    def from_options(cls, params: Mapping[str, Any]) -> ConfigPolicy:
        """The policy of app_config_check's parameters (missing ones at the option table's defaults)."""
        p = settings(options.app_config_check()["argument_spec"], params)
        return build(cls, p, feature_flags={k: boolean(v) for k, v in p["feature_flags"].items()})


def _norm_url(url: str) -> str:
    return (url or "").strip().rstrip("/").lower()


def _in_domain(host: str, domain: str) -> bool:
    host, domain = host.lower().rstrip("."), domain.lower().rstrip(".")
    return bool(domain) and (host == domain or host.endswith("." + domain))


def settings_entries(config: dict[str, str], policy: ConfigPolicy, where: str) -> Entries:
    """5.1.1-5.1.5, 5.2.1-5.2.3 and 5.4.1 from the application's environment settings."""
    get = config.get
    found = []

    node_env = get("NODE_ENV")
    found.append(
        passed_if(
            "5.1.1",
            node_env == policy.node_env,
            measured=node_env,
            threshold=policy.node_env,
            detail=f"NODE_ENV={node_env}",
            where=where,
        )
    )

    cors = get("CORS_ORIGIN")
    found.append(
        passed_if(
            "5.1.2",
            bool(cors) and _norm_url(cors) == _norm_url(policy.frontend_url),
            measured=cors,
            threshold=policy.frontend_url,
            detail=f"CORS_ORIGIN={cors}",
            where=where,
        )
    )

    origins = [o.strip() for o in (get("ALLOWED_ORIGINS") or "").split(",") if o.strip()]
    bad = []
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme != "https" or not _in_domain(parts.hostname or "", policy.domain):
            bad.append(origin)
    found.append(
        passed_if(
            "5.1.3",
            bool(origins) and not bad,
            measured=origins or None,
            threshold=f"non-empty, every origin https:// within {policy.domain}",
            detail=("outside policy: " + ", ".join(bad))
            if bad
            else ("ALLOWED_ORIGINS is empty" if not origins else f"{len(origins)} origin(s)"),
            where=where,
        )
    )

    try:
        limit, window = int(get("RATE_LIMIT_MAX") or "0"), int(get("RATE_LIMIT_WINDOW_MS") or "0")
    except ValueError:
        limit, window = 0, 0
    found.append(
        passed_if(
            "5.1.4",
            0 < limit <= policy.rate_limit_max and window >= policy.rate_limit_window_ms,
            measured=f"{get('RATE_LIMIT_MAX')} per {get('RATE_LIMIT_WINDOW_MS')} ms",
            threshold=f"1..{policy.rate_limit_max} per >= {policy.rate_limit_window_ms} ms",
            detail="RATE_LIMIT_MAX / RATE_LIMIT_WINDOW_MS",
            where=where,
        )
    )

    debug = get("DEBUG")
    found.append(
        passed_if(
            "5.1.5",
            debug is not None and debug.strip().lower() in FALSE_WORDS,
            measured=debug,
            threshold="DEBUG set explicitly to false",
            detail="DEBUG is not set: set it to false explicitly" if debug is None else f"DEBUG={debug}",
            where=where,
        )
    )

    for item_id, name in FEATURE_FLAGS.items():
        value = get(name)
        explicit = value is not None and value.strip().lower() in ("true", "false")
        wanted = policy.feature_flags.get(name)
        if wanted is None:
            # A flag set to "true" or "false" proves nothing about whether it is set as this release needs.
            found.append(
                entry(
                    item_id,
                    "failed",
                    measured=value,
                    threshold="the inventory's expected value",
                    detail=f"{name}={value}; no expected value given: set app_config_feature_flags.{name} "
                    "(true or false) in the inventory",
                    where=where,
                )
            )
            continue
        ok = explicit and value.strip().lower() == str(bool(wanted)).lower()
        threshold = str(bool(wanted)).lower()
        detail = f"{name}={value}" + ("" if ok else f", expected {threshold} (app_config_feature_flags.{name})")
        found.append(passed_if(item_id, ok, measured=value, threshold=threshold, detail=detail, where=where))

    level = get("LOG_LEVEL")
    found.append(
        passed_if(
            "5.4.1",
            (level or "").lower() == policy.log_level,
            measured=level,
            threshold=policy.log_level,
            detail=f"LOG_LEVEL={level}",
            where=where,
        )
    )
    return found


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    ca_bundle: str | None = None
    timeout: float = 10.0
    lookup: Callable[[str], str | None] | None = None


def smtp_entry(smtp: SmtpSettings) -> dict[str, Any]:
    """5.3.1: STARTTLS with a verified certificate, then AUTH with the configured credentials; no mail is sent."""
    where = f"{smtp.host}:{smtp.port}"
    threshold = "STARTTLS with a trusted certificate, AUTH accepted"
    measured: dict[str, Any] = {}

    def refused(detail: str, seen: dict[str, Any]) -> dict[str, Any]:
        return entry("5.3.1", "failed", measured=seen, threshold=threshold, where=where, detail=detail)

    context = tls_context(smtp.ca_bundle)
    try:
        # the constructor connects and keeps the host name for certificate verification
        client = PinnedSMTP(smtp.lookup, host=smtp.host, port=smtp.port, timeout=smtp.timeout)
        try:
            client.ehlo()
            if not client.has_extn("starttls"):
                return refused(f"{where} does not offer STARTTLS", {"starttls": False})
            client.starttls(context=context)
            client.ehlo()
            measured["starttls"] = client.sock.version() if hasattr(client.sock, "version") else True
            if not smtp.username:
                return refused("no SMTP user configured: AUTH not tested", measured)
            client.login(smtp.username, smtp.password or "")
            measured["auth"] = "accepted"
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    except smtplib.SMTPAuthenticationError as exc:
        return refused(
            f"the relay refused AUTH for {smtp.username}: {exc.smtp_code}", {**measured, "auth": exc.smtp_code}
        )
    except ssl.SSLCertVerificationError as exc:
        return refused(f"STARTTLS certificate not trusted: {exc.verify_message}", measured)
    except (smtplib.SMTPException, OSError) as exc:
        raise ConnectionFailure(f"SMTP relay {where}: {exc}") from exc
    return entry(
        "5.3.1",
        "passed",
        measured=measured,
        threshold=threshold,
        where=where,
        detail=f"STARTTLS ({measured['starttls']}) and AUTH as {smtp.username} accepted; no mail sent",
    )


def _txt(name: str, resolver: str) -> list[str]:
    answer = lookup(name, "TXT", resolver)
    return ["".join(part.strip('"') for part in record.split('" "')) for record in answer.addresses]


def mail_dns_entry(domain: str, selectors: list[str], resolver: str) -> dict[str, Any]:
    """5.3.3: an SPF record on the sender domain and a DKIM key for every selector."""
    spf = [r for r in _txt(domain, resolver) if r.lower().startswith("v=spf1")]
    dkim: dict[str, bool] = {}
    for selector in selectors:
        records = _txt(f"{selector}._domainkey.{domain}", resolver)
        dkim[selector] = any("v=dkim1" in r.lower() and "p=" in r and not r.rstrip().endswith("p=") for r in records)
    problems = []
    if len(spf) != 1:
        problems.append(f"{len(spf)} SPF records on {domain} (exactly one needed)")
    problems += [f"no DKIM key at {s}._domainkey.{domain}" for s, ok in dkim.items() if not ok]
    if not selectors:
        problems.append("no DKIM selector configured")
    return passed_if(
        "5.3.3",
        not problems,
        measured={"spf": spf[0] if len(spf) == 1 else spf, "dkim": dkim},
        threshold="one v=spf1 TXT record, a v=DKIM1 key for every selector",
        detail="; ".join(problems) or f"SPF and DKIM ({', '.join(selectors)}) published for {domain}",
        where=f"{domain} via {resolver or 'the system resolver'}",
    )


def check_app_config(
    config: dict[str, str] | None,
    source: str,
    policy: ConfigPolicy,
    smtp: SmtpSettings | None,
    mail_domain: str,
    dkim_selectors: list[str],
    resolver: str,
) -> Entries:
    checks: list[Check] = []
    settings_ids = ("5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.5", *FEATURE_FLAGS, "5.4.1")
    if config is None:
        missing = [entry(i, "failed", detail=f"no application configuration found ({source})") for i in settings_ids]
        checks.append(Check(settings_ids, lambda: missing))
    else:
        checks.append(Check(settings_ids, lambda: settings_entries(config, policy, source), source))
    if smtp is None:
        checks.append(Check(("5.3.1",), lambda: [entry("5.3.1", "failed", detail="no SMTP host configured")]))
    else:
        checks.append(Check(("5.3.1",), lambda: [smtp_entry(smtp)], f"{smtp.host}:{smtp.port}"))
    checks.append(Check(("5.3.3",), lambda: [mail_dns_entry(mail_domain, dkim_selectors, resolver)], mail_domain))
    return run_checks(checks)
