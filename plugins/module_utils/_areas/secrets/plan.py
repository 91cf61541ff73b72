# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a secrets run asks for (the request), what the cluster holds (current) and what to write (the plan)."""

from __future__ import annotations

import base64
import binascii
import datetime
import hmac
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.keyring import (
    CREATED_ANNOTATION,
    DEFAULT_GENERATED,
    ENCODINGS,
    EXTERNAL_KEYS,
    KEY_NAME_RE,
    MANAGER_LABEL,
    MIN_GENERATED_BYTES,
    SALT_ANNOTATION,
    GeneratedKey,
    fingerprint,
    fingerprint_annotation,
    format_time,
    generate,
    new_salt,
    rotated_annotation,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.options import production_secrets_spec
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import providers as saas
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import parse_time

# --- the run -----------------------------------------------------------------------------------------------------


@dataclass
class Compare:
    label: str
    fingerprint_file: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    name: str | None = None


@dataclass
class Request:
    """What the caller wants, validated."""

    name: str
    namespace: str
    mode: str = "ensure"
    environment: str = ""
    generated: tuple[GeneratedKey, ...] = DEFAULT_GENERATED
    external: dict[str, str | None] = field(default_factory=dict)
    manage_external: bool = True
    external_required: bool = True
    verify_providers: bool = True
    rotate: tuple[str, ...] = ()
    rotate_due: bool = False
    rotation_max_age_days: int = 90
    compare_with: tuple[Compare, ...] = ()
    export_fingerprints: str | None = None
    create_namespace: bool = False
    provider_urls: dict[str, str] = field(default_factory=dict)
    aws_region: str = "us-east-1"
    http: saas.HttpSettings = field(default_factory=saas.HttpSettings)

    @property
    def managed(self) -> list[str]:
        names = [k.name for k in self.generated]
        if self.manage_external:
            names += [k.name for k in EXTERNAL_KEYS]
        return names


def build_request(params: dict[str, Any]) -> Request:
    """Validate module parameters into a Request; raise ConfigurationError naming what is wrong."""
    params = settings(production_secrets_spec(), params)
    generated = []
    for raw in params["generated"]:
        key = GeneratedKey(str(raw["name"]), int(raw["size"]), str(raw["encoding"]), raw["item"])
        if not KEY_NAME_RE.match(key.name):
            raise ConfigurationError(f"generated key name {key.name!r} is not an environment variable name (A-Z0-9_)")
        if key.size < MIN_GENERATED_BYTES:
            raise ConfigurationError(f"generated key {key.name}: size {key.size} is below {MIN_GENERATED_BYTES} bytes")
        if key.encoding not in ENCODINGS:
            raise ConfigurationError(f"generated key {key.name}: encoding {key.encoding!r} is not one of {ENCODINGS}")
        generated.append(key)
    names = [k.name for k in generated]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigurationError(f"generated keys listed twice: {', '.join(dupes)}")
    clash = sorted(set(names) & {k.name for k in EXTERNAL_KEYS})
    if clash:
        raise ConfigurationError(f"generated keys {', '.join(clash)} are external keys; they cannot be generated")
    external = {k.option: (params["external"][k.option] or None) for k in EXTERNAL_KEYS}
    rotate = tuple(params["rotate"])
    if "all" in rotate:
        rotate = tuple(names)
    unknown = sorted(set(rotate) - set(names))
    if unknown:
        raise ConfigurationError(
            f"rotate names {', '.join(unknown)}, which are not generated keys ({', '.join(names)}); external keys are "
            "rotated at their provider and then set from Ansible Vault"
        )
    compare = []
    for raw in params["compare_with"]:
        one = Compare(
            label=str(raw["label"] or raw["namespace"] or raw["fingerprint_file"] or "other"),
            fingerprint_file=raw["fingerprint_file"],
            kubeconfig=raw["kubeconfig"],
            context=raw["context"],
            namespace=raw["namespace"],
            name=raw["name"],
        )
        if bool(one.fingerprint_file) == bool(one.namespace):
            raise ConfigurationError(
                f"compare_with {one.label!r}: give either fingerprint_file or namespace (with name) of a Secret"
            )
        compare.append(one)
    age = int(params["rotation_max_age_days"])
    if age < 0:
        raise ConfigurationError("rotation_max_age_days must be 0 (no policy) or more")
    return Request(
        name=params["name"],
        namespace=params["namespace"],
        mode=params["mode"],
        environment=params["environment"],
        generated=tuple(generated),
        external=external,
        manage_external=params["manage_external"],
        external_required=params["external_required"],
        verify_providers=params["verify_providers"],
        rotate=rotate,
        rotate_due=bool(params["rotate_due"]),
        rotation_max_age_days=age,
        compare_with=tuple(compare),
        export_fingerprints=params["export_fingerprints"] or None,
        create_namespace=bool(params["create_namespace"]),
        provider_urls={
            "sendgrid": params["sendgrid_url"],
            "twilio": params["twilio_url"],
            "razorpay": params["razorpay_url"],
            "aws": params["aws_sts_url"],
        },
        aws_region=params["aws_region"],
        http=saas.HttpSettings(
            ca_bundle=params["ca_bundle"] or None,
            validate_certs=params["validate_certs"],
            timeout=float(params["provider_timeout"]),
        ),
    )


@dataclass
class Current:
    """The Secret as read from the cluster."""

    exists: bool
    data: dict[str, str]
    annotations: dict[str, str]
    labels: dict[str, str]
    resource_version: str | None
    type: str = "Opaque"

    @property
    def salt(self) -> bytes | None:
        raw = self.annotations.get(SALT_ANNOTATION)
        if not raw:
            return None
        try:
            salt = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return None
        return salt if len(salt) >= 8 else None


@dataclass
class Plan:
    """Per key what happens, and the Secret that results (values None where check mode would generate)."""

    actions: dict[str, str]  # created / rotated / updated / kept / missing
    data: dict[str, str | None]
    annotations: dict[str, str]
    salt: bytes
    due: dict[str, float]  # key -> age in days, of keys past the rotation policy before this run
    changed: bool
    reasons: list[str]
    # keys present whose value was set outside this collection: no set-time annotation, so their age is unknown
    unknown_age: list[str] = field(default_factory=list)


def plan(request: Request, current: Current, now: datetime.datetime, check_mode: bool) -> Plan:
    """Decide per key: keep, create, rotate or update; compute the annotations of the result."""
    salt = current.salt or new_salt()
    annotations = dict(current.annotations)
    reasons: list[str] = []
    if current.salt is None:
        annotations[SALT_ANNOTATION] = base64.b64encode(salt).decode("ascii")
        reasons.append("fingerprint salt set")
    if CREATED_ANNOTATION not in annotations:
        annotations[CREATED_ANNOTATION] = format_time(now)
        reasons.append("creation time recorded")
    data: dict[str, str | None] = dict(current.data)
    actions: dict[str, str] = {}
    due = due_for_rotation(request, current, now)
    # Verify mode only reads: it reports what is due and never plans a rotation.
    rotate = set(request.rotate) if request.mode == "ensure" else set()
    if request.rotate_due and request.mode == "ensure":
        unknown_before = {k for k in current.data if rotated_annotation(k) not in current.annotations}
        rotate |= {k for k in set(due) | unknown_before if k in {g.name for g in request.generated}}
    stamp = format_time(now)

    for key in request.generated:
        existing = current.data.get(key.name)
        if not existing:
            actions[key.name] = "created"
        elif key.name in rotate:
            actions[key.name] = "rotated"
        else:
            actions[key.name] = "kept"
        if actions[key.name] != "kept":
            data[key.name] = None if check_mode else generate(key.size, key.encoding)
    if request.manage_external:
        for ext in EXTERNAL_KEYS:
            wanted = request.external.get(ext.option)
            existing = current.data.get(ext.name)
            if not wanted:
                actions[ext.name] = "kept" if existing else "missing"
            elif not existing:
                actions[ext.name] = "created"
                data[ext.name] = wanted
            elif not hmac.compare_digest(existing.encode(), wanted.encode()):
                actions[ext.name] = "updated"
                data[ext.name] = wanted
            else:
                actions[ext.name] = "kept"

    for key, action in actions.items():
        if action == "missing":
            continue
        value = data.get(key)
        fp_name, time_name = fingerprint_annotation(key), rotated_annotation(key)
        if action in ("created", "rotated", "updated"):
            annotations[time_name] = stamp
            annotations[fp_name] = fingerprint(salt, value) if value is not None else "(new value)"
            reasons.append(f"{key} {action}")
            continue
        fp = fingerprint(salt, value or "")
        if annotations.get(fp_name) != fp:
            # The value was set outside this module (or before the annotation existed): record it as set now.
            if fp_name in annotations:
                annotations[time_name] = stamp
                reasons.append(f"{key} changed outside this module; its rotation time is reset")
            else:
                # Its set time is unknown: recording "now" would make an old key look new (age 0).
                reasons.append(f"{key} fingerprint recorded")
            annotations[fp_name] = fp
    if current.labels.get(MANAGER_LABEL[0]) != MANAGER_LABEL[1]:
        reasons.append("managed-by label set")
    changed = bool(reasons) or not current.exists
    unknown = sorted(k for k in request.managed if data.get(k) and rotated_annotation(k) not in annotations)
    return Plan(actions, data, annotations, salt, due, changed, reasons, unknown)


def due_for_rotation(request: Request, current: Current, now: datetime.datetime) -> dict[str, float]:
    """Managed keys whose value was set longer ago than the policy allows, with their age in days."""
    if not request.rotation_max_age_days or not current.exists:
        return {}
    due = {}
    for key in request.managed:
        if key not in current.data:
            continue
        set_at = parse_time(current.annotations.get(rotated_annotation(key)))
        if set_at is None:
            continue  # unknown age: reported as such (Plan.unknown_age), never as a guessed age
        age = (now - set_at).total_seconds() / 86400
        if age > request.rotation_max_age_days:
            due[key] = round(age, 1)
    return due


def ages(request: Request, annotations: dict[str, str], now: datetime.datetime) -> dict[str, float]:
    out = {}
    for key in request.managed:
        set_at = parse_time(annotations.get(rotated_annotation(key)))
        if set_at is not None:
            out[key] = round((now - set_at).total_seconds() / 86400, 1)
    return out
