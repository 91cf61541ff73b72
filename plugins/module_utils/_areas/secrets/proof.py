# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evidence of a secrets run (checklist 3.x, 7.3.3, post.month1.3) and the provider checks behind it."""

from __future__ import annotations

import datetime
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.keyring import (
    EXTERNAL_KEYS,
    PROVIDER_ITEMS,
    PROVIDER_TITLES,
    decode,
    fingerprint_annotation,
    short,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.plan import Plan, Request, ages
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import providers as saas
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if

# --- evidence ----------------------------------------------------------------------------------------------------


def build_evidence(
    request: Request,
    result: Plan,
    where: str,
    check_mode: bool,
    external_issues: dict[str, str],
    answers: dict[str, saas.ProviderAnswer],
    reuse: dict[str, list[str]],
    dupes: dict[str, list[str]],
    compared: list[str],
    now: datetime.datetime,
) -> list[dict[str, Any]]:
    pending = {k for k, a in result.actions.items() if a in ("created", "rotated") and result.data.get(k) is None}
    verify = request.mode == "verify"
    out = []
    generated_names = [g.name for g in request.generated]
    missing_generated = [k for k in generated_names if result.actions.get(k) == "created"]
    if verify and missing_generated:
        out.append(
            entry(
                "3.1.1",
                "failed",
                measured={"missing": missing_generated},
                threshold="all generated keys present",
                detail=f"Secret lacks {', '.join(missing_generated)}; run playbooks/generate_secrets.yml",
                where=where,
            )
        )
    elif check_mode and pending:
        out.append(
            entry(
                "3.1.1",
                "skipped",
                measured={a: sorted(k for k in pending if result.actions[k] == a) for a in ("created", "rotated")},
                detail="check mode: would generate " + ", ".join(sorted(pending)),
                where=where,
            )
        )
    else:
        counts = {a: sorted(k for k, v in result.actions.items() if v == a) for a in set(result.actions.values())}
        out.append(
            entry(
                "3.1.1",
                "passed",
                measured=counts,
                threshold="all generated keys present",
                detail=f"{len(generated_names)} generated keys present in the Secret (CSPRNG, os.urandom)",
                where=where,
            )
        )
    compared_text = ("not found in " + ", ".join(compared)) if compared else "not compared with another environment"
    for key in request.generated:
        if not key.item:
            continue
        value = result.data.get(key.name)
        if key.name in pending or (value is None and verify):
            status = "skipped" if check_mode and not verify else "failed"
            out.append(
                entry(
                    key.item,
                    status,
                    threshold={"bytes": key.size, "encoding": key.encoding},
                    detail=f"{key.name} {'would be generated (check mode)' if status == 'skipped' else 'is missing'}",
                    where=where,
                )
            )
            continue
        raw = decode(value or "", key.encoding)
        size = len(raw) if raw is not None else None
        problems = []
        if size is None:
            problems.append(f"not {key.encoding}")
        elif size < key.size:
            problems.append(f"{size} bytes, policy {key.size}; rotate it")
        if key.name in dupes:
            problems.append("same value as " + ", ".join(dupes[key.name]))
        if key.name in reuse:
            problems.append("value reused in " + ", ".join(reuse[key.name]))
        out.append(
            passed_if(
                key.item,
                not problems,
                measured={
                    "bytes": size,
                    "encoding": key.encoding,
                    "fingerprint": short(result.annotations.get(fingerprint_annotation(key.name))),
                    "action": result.actions[key.name],
                },
                threshold={"bytes": key.size, "unique": True, "reused_in": compared},
                detail=f"{key.name}: " + ("; ".join(problems) if problems else f"{size} random bytes, {compared_text}"),
                where=where,
            )
        )
    if request.manage_external or request.external:
        for provider, item in PROVIDER_ITEMS.items():
            keys = [k for k in EXTERNAL_KEYS if k.provider == provider]
            problems = [f"{k.name} {external_issues[k.name]}" for k in keys if k.name in external_issues]
            problems += [f"{k.name} value reused in {', '.join(reuse[k.name])}" for k in keys if k.name in reuse]
            answer = answers.get(provider)
            title = PROVIDER_TITLES[provider]
            measured = {"keys": [k.name for k in keys], "format": "ok" if not problems else "failed"}
            if answer is not None:
                measured["provider_status"] = answer.status
                measured.update(answer.facts)
            if problems:
                out.append(entry(item, "failed", measured=measured, detail="; ".join(problems), where=where))
            elif answer is not None and not answer.accepted:
                out.append(entry(item, "failed", measured=measured, detail=answer.detail, where=answer.where))
            elif answer is not None:
                out.append(
                    entry(
                        item,
                        "passed",
                        measured=measured,
                        detail=f"{answer.detail}; {compared_text}",
                        where=answer.where,
                    )
                )
            else:
                why = (
                    "no AWS STS endpoint configured (aws_sts_url), so AWS was not asked"
                    if provider == "aws" and request.verify_providers
                    else "provider checks are off (verify_providers=false)"
                )
                out.append(
                    entry(
                        item,
                        "manual",
                        measured=measured,
                        threshold="accepted by the provider",
                        detail=f"{title} keys present and well-formed; {why}: sign off that they are the production "
                        "account's",
                        where=where,
                    )
                )
    current_ages = ages(request, result.annotations, now)
    policy = request.rotation_max_age_days
    if policy:
        overdue = {k: a for k, a in current_ages.items() if a > policy}
        reused_keys = sorted(reuse)
        problems = [f"{k} is {a} days old" for k, a in sorted(overdue.items())]
        unknown = result.unknown_age
        if unknown:
            problems.append(
                "age unknown (no set-time annotation: set outside this collection) for "
                + ", ".join(unknown)
                + "; rotate them (rotate: [...]; external keys at their provider, then update) to start a known age"
            )
        if reused_keys:
            problems.append("reused from another environment: " + ", ".join(reused_keys))
        out.append(
            passed_if(
                "7.3.3",
                not problems,
                measured={
                    "oldest_days": max(current_ages.values(), default=None),
                    "overdue": sorted(overdue),
                    "age_unknown": unknown,
                },
                threshold=f"every key set within {policy} days and not reused from another environment",
                detail="; ".join(problems) if problems else f"{len(current_ages)} keys within the rotation policy",
                where=where,
            )
        )
        rotated_now = sorted(k for k, a in result.actions.items() if a == "rotated")
        left = sorted({k for k in result.due if k not in rotated_now} | set(unknown))
        if check_mode and not left:
            status = "skipped" if rotated_now else "passed"
        else:
            status = "failed" if left else "passed"
        out.append(
            entry(
                "post.month1.3",
                status,
                measured={"due": sorted(result.due), "age_unknown": unknown, "rotated": rotated_now},
                threshold=f"rotate keys older than {policy} days",
                detail=(
                    f"due for rotation (past {policy} days or of unknown age): {', '.join(left)} (rotate with "
                    "rotate: [...] or rotate_due: true; external keys at their provider)"
                    if left
                    else ("rotated " + ", ".join(rotated_now) if rotated_now else "no rotation due")
                )
                + (" (check mode: not written)" if check_mode and rotated_now else ""),
                where=where,
            )
        )
    else:
        for item in ("7.3.3", "post.month1.3"):
            out.append(entry(item, "skipped", detail="no rotation policy (rotation_max_age_days=0)", where=where))
    return out


def check_providers(request: Request, values: dict[str, str]) -> dict[str, saas.ProviderAnswer]:
    """One authenticated read per provider whose keys are present and well-formed."""
    urls, http = request.provider_urls, request.http
    answers: dict[str, saas.ProviderAnswer] = {}
    if not request.verify_providers:
        return answers
    if values.get("sendgrid_api_key"):
        answers["sendgrid"] = saas.check_sendgrid(urls["sendgrid"], values["sendgrid_api_key"], http)
    if values.get("twilio_account_sid") and values.get("twilio_auth_token"):
        answers["twilio"] = saas.check_twilio(
            urls["twilio"], values["twilio_account_sid"], values["twilio_auth_token"], http
        )
    if values.get("razorpay_key_id") and values.get("razorpay_key_secret"):
        answers["razorpay"] = saas.check_razorpay(
            urls["razorpay"], values["razorpay_key_id"], values["razorpay_key_secret"], http
        )
    if urls.get("aws") and values.get("aws_access_key_id") and values.get("aws_secret_access_key"):
        answers["aws"] = saas.check_aws_sts(
            urls["aws"], request.aws_region, values["aws_access_key_id"], values["aws_secret_access_key"], http
        )
    return answers
