# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Production secrets: generate, fingerprint, check and write the platform's Kubernetes Secret.

The platform reads one Secret through envFrom. This module keeps it:

- generated keys (JWT_SECRET, DATABASE_PASSWORD, ...) come from the operating system's CSPRNG at a set size and
  are kept once written; ``rotate`` replaces named ones;
- external keys (SendGrid, Twilio, Razorpay, AWS) come from the caller (Ansible Vault or the environment), are
  checked against production rules and, optionally, by their provider, and are written beside them;
- every key carries annotations with a salted HMAC-SHA256 fingerprint and the time its value was set, so that
  age, drift and reuse in another environment can be checked without showing a value;
- the Secret is written with one create or one resourceVersion-guarded replace: a run never leaves half a Secret.

Nothing here returns, logs or raises a value; every value read or made is handed to ``mask`` first.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import providers as saas
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    CheckFailed,
    ConfigurationError,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if

ANNOTATION_PREFIX = "secrets.smeplatform.io/"
SALT_ANNOTATION = ANNOTATION_PREFIX + "fingerprint-salt"
CREATED_ANNOTATION = ANNOTATION_PREFIX + "created-at"
MANAGER_LABEL = ("app.kubernetes.io/managed-by", "smeplatform.deploy")
FINGERPRINT_PREFIX = "hmac-sha256:"
SALT_BYTES = 16
KEY_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,49}$")
ENCODINGS = ("base64", "base64url", "hex")
MIN_GENERATED_BYTES = 16
EXPORT_SCHEMA = 1

Mask = Callable[[str], None]


# --- values ------------------------------------------------------------------------------------------------------


def encode(raw: bytes, encoding: str) -> str:
    """Text form of random bytes: standard base64 (padded), URL-safe base64 (unpadded) or lowercase hex."""
    if encoding == "base64":
        return base64.b64encode(raw).decode("ascii")
    if encoding == "base64url":
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    if encoding == "hex":
        return raw.hex()
    raise ConfigurationError(f"unknown encoding {encoding!r}; use one of {', '.join(ENCODINGS)}")


_ALPHABETS = {
    "base64": re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"),
    "base64url": re.compile(r"^[A-Za-z0-9_-]+$"),
    "hex": re.compile(r"^(?:[0-9a-f]{2})+$"),
}


def decode(value: str, encoding: str) -> bytes | None:
    """The bytes a value stands for, or None when it is not in the encoding's alphabet."""
    if not value or not _ALPHABETS[encoding].match(value):
        return None
    try:
        if encoding == "base64":
            return base64.b64decode(value, validate=True)
        if encoding == "base64url":
            return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        return bytes.fromhex(value)
    except (binascii.Error, ValueError):
        return None


def generate(size: int, encoding: str) -> str:
    """A new value: `size` bytes from the operating system's CSPRNG, encoded."""
    return encode(secrets.token_bytes(size), encoding)


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def fingerprint(salt: bytes, value: str) -> str:
    """HMAC-SHA256 of the value keyed with the Secret's salt; says whether two values are equal, not what they are."""
    return FINGERPRINT_PREFIX + hmac.new(salt, value.encode("utf-8"), hashlib.sha256).hexdigest()


def short(fp: str | None) -> str:
    """The fingerprint as shown in diffs and evidence: enough to compare, short enough to read."""
    if not fp:
        return "(absent)"
    return fp[: len(FINGERPRINT_PREFIX) + 16]


def value_forms(value: str) -> list[str]:
    """The value and the encodings it would be shown in, for masking."""
    raw = value.encode("utf-8")
    return [value, base64.b64encode(raw).decode("ascii"), base64.urlsafe_b64encode(raw).decode("ascii"), raw.hex()]


# --- what is managed ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedKey:
    name: str
    size: int
    encoding: str
    item: str | None = None


DEFAULT_GENERATED: tuple[GeneratedKey, ...] = (
    GeneratedKey("JWT_SECRET", 64, "base64", "3.2.1"),
    GeneratedKey("DATABASE_PASSWORD", 32, "base64url", "3.2.2"),
    GeneratedKey("REDIS_PASSWORD", 24, "base64url", "3.2.3"),
    GeneratedKey("ENCRYPTION_KEY", 32, "base64", "3.2.4"),
)


@dataclass(frozen=True)
class ExternalKey:
    name: str  # the key in the Secret, also the environment variable the platform reads
    option: str  # the module option under `external`
    provider: str
    item: str
    pattern: str
    rule: str


EXTERNAL_KEYS: tuple[ExternalKey, ...] = (
    ExternalKey(
        "SENDGRID_API_KEY",
        "sendgrid_api_key",
        "sendgrid",
        "3.3.1",
        r"^SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{32,64}$",
        "a SendGrid API key is 'SG.' followed by two dot-separated URL-safe base64 parts",
    ),
    ExternalKey(
        "TWILIO_ACCOUNT_SID",
        "twilio_account_sid",
        "twilio",
        "3.3.2",
        r"^AC[0-9a-f]{32}$",
        "a Twilio account SID is 'AC' followed by 32 lowercase hex digits",
    ),
    ExternalKey(
        "TWILIO_AUTH_TOKEN",
        "twilio_auth_token",
        "twilio",
        "3.3.2",
        r"^[0-9a-f]{32}$",
        "a Twilio auth token is 32 lowercase hex digits",
    ),
    ExternalKey(
        "RAZORPAY_KEY_ID",
        "razorpay_key_id",
        "razorpay",
        "3.3.3",
        r"^rzp_live_[A-Za-z0-9]{14,}$",
        "a production Razorpay key id starts with 'rzp_live_' followed by at least 14 letters or digits",
    ),
    ExternalKey(
        "RAZORPAY_KEY_SECRET",
        "razorpay_key_secret",
        "razorpay",
        "3.3.3",
        r"^[A-Za-z0-9]{20,}$",
        "a Razorpay key secret is at least 20 letters or digits",
    ),
    ExternalKey(
        "AWS_ACCESS_KEY_ID",
        "aws_access_key_id",
        "aws",
        "3.3.4",
        r"^(AKIA|ASIA)[A-Z0-9]{16}$",
        "an AWS access key id is 'AKIA' (IAM user) or 'ASIA' (temporary) followed by 16 uppercase letters or digits",
    ),
    ExternalKey(
        "AWS_SECRET_ACCESS_KEY",
        "aws_secret_access_key",
        "aws",
        "3.3.4",
        r"^[A-Za-z0-9/+=]{40}$",
        "an AWS secret access key is 40 base64 characters",
    ),
)
EXTERNAL_BY_OPTION = {k.option: k for k in EXTERNAL_KEYS}
PROVIDER_ITEMS = {"sendgrid": "3.3.1", "twilio": "3.3.2", "razorpay": "3.3.3", "aws": "3.3.4"}
PROVIDER_TITLES = {"sendgrid": "SendGrid", "twilio": "Twilio", "razorpay": "Razorpay", "aws": "AWS"}


def format_problem(key: ExternalKey, value: str | None) -> str | None:
    """Why a value breaks the production rule of its key, without quoting it; None when it is fine."""
    if not value:
        return None
    if key.name == "RAZORPAY_KEY_ID" and value.startswith("rzp_test_"):
        return "is a Razorpay test-mode key (rzp_test_); production needs a live key (rzp_live_)"
    if value != value.strip():
        return "has leading or trailing white space"
    if not re.match(key.pattern, value):
        return f"is malformed: {key.rule}"
    return None


def external_problems(values: dict[str, str | None], required: bool) -> dict[str, str]:
    """Problems of the external keys by Secret key name: missing (when required), test mode, malformed."""
    problems: dict[str, str] = {}
    for key in EXTERNAL_KEYS:
        value = values.get(key.option)
        if not value:
            if required:
                problems[key.name] = (
                    f"is missing: set {key.option} from Ansible Vault or the environment variable {key.name}"
                )
            continue
        problem = format_problem(key, value)
        if problem:
            problems[key.name] = problem
    return problems


# --- fingerprints of another environment -------------------------------------------------------------------------


@dataclass
class FingerprintSet:
    """Salt and fingerprints of one environment's Secret, to find values reused in it."""

    label: str
    salt: bytes
    fingerprints: dict[str, str]

    def matches(self, value: str) -> list[str]:
        """Keys of this environment holding the same value."""
        candidate = fingerprint(self.salt, value)
        return sorted(k for k, fp in self.fingerprints.items() if hmac.compare_digest(fp, candidate))

    @classmethod
    def from_values(cls, label: str, values: dict[str, str], salt: bytes | None = None) -> FingerprintSet:
        salt = salt or new_salt()
        return cls(label, salt, {k: fingerprint(salt, v) for k, v in values.items() if v})

    @classmethod
    def from_document(cls, label: str, document: Any, source: str) -> FingerprintSet:
        if not isinstance(document, dict) or not isinstance(document.get("fingerprints"), dict):
            raise ConfigurationError(f"{source}: not a fingerprint file (needs 'salt' and 'fingerprints')")
        try:
            salt = base64.b64decode(str(document.get("salt", "")), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ConfigurationError(f"{source}: 'salt' is not base64") from exc
        if len(salt) < 8:
            raise ConfigurationError(f"{source}: 'salt' is missing or shorter than 8 bytes")
        fps = {str(k): str(v) for k, v in document["fingerprints"].items()}
        bad = sorted(k for k, v in fps.items() if not v.startswith(FINGERPRINT_PREFIX))
        if bad:
            raise ConfigurationError(f"{source}: fingerprints of {', '.join(bad)} are not {FINGERPRINT_PREFIX}<hex>")
        return cls(label or str(document.get("environment") or source), salt, fps)

    @classmethod
    def from_file(cls, label: str, path: str) -> FingerprintSet:
        try:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
        except OSError as exc:
            raise ConfigurationError(f"cannot read the fingerprint file {path}: {exc.strerror}") from exc
        except ValueError as exc:
            raise ConfigurationError(f"the fingerprint file {path} is not JSON: {exc}") from exc
        return cls.from_document(label, document, path)


def find_reuse(values: dict[str, str], others: Iterable[FingerprintSet]) -> dict[str, list[str]]:
    """Keys whose value also appears in another environment, as {key: ['staging:KEY', ...]}."""
    found: dict[str, list[str]] = {}
    for other in others:
        for key, value in values.items():
            if not value:
                continue
            for match in other.matches(value):
                found.setdefault(key, []).append(f"{other.label}:{match}")
    return found


def find_duplicates(values: dict[str, str]) -> dict[str, list[str]]:
    """Keys of one Secret that hold the same value as another key of it."""
    by_value: dict[str, list[str]] = {}
    for key, value in values.items():
        if value:
            by_value.setdefault(hashlib.sha256(value.encode()).hexdigest(), []).append(key)
    dupes: dict[str, list[str]] = {}
    for keys in by_value.values():
        if len(keys) > 1:
            for key in keys:
                dupes[key] = sorted(k for k in keys if k != key)
    return dupes


# --- time --------------------------------------------------------------------------------------------------------


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def format_time(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    except ValueError:
        return None


def fingerprint_annotation(key: str) -> str:
    return f"{ANNOTATION_PREFIX}fingerprint.{key}"


def rotated_annotation(key: str) -> str:
    return f"{ANNOTATION_PREFIX}rotated-at.{key}"


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
    generated = []
    for raw in params.get("generated") or []:
        key = GeneratedKey(str(raw["name"]), int(raw["size"]), str(raw.get("encoding") or "base64"), raw.get("item"))
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
    external = {k.option: ((params.get("external") or {}).get(k.option) or None) for k in EXTERNAL_KEYS}
    rotate = tuple(params.get("rotate") or ())
    if "all" in rotate:
        rotate = tuple(names)
    unknown = sorted(set(rotate) - set(names))
    if unknown:
        raise ConfigurationError(
            f"rotate names {', '.join(unknown)}, which are not generated keys ({', '.join(names)}); external keys are "
            "rotated at their provider and then set from Ansible Vault"
        )
    compare = []
    for raw in params.get("compare_with") or []:
        one = Compare(
            label=str(raw.get("label") or raw.get("namespace") or raw.get("fingerprint_file") or "other"),
            fingerprint_file=raw.get("fingerprint_file"),
            kubeconfig=raw.get("kubeconfig"),
            context=raw.get("context"),
            namespace=raw.get("namespace"),
            name=raw.get("name"),
        )
        if bool(one.fingerprint_file) == bool(one.namespace):
            raise ConfigurationError(
                f"compare_with {one.label!r}: give either fingerprint_file or namespace (with name) of a Secret"
            )
        compare.append(one)
    age = int(params.get("rotation_max_age_days") or 0)
    if age < 0:
        raise ConfigurationError("rotation_max_age_days must be 0 (no policy) or more")
    return Request(
        name=params["name"],
        namespace=params["namespace"],
        mode=params.get("mode") or "ensure",
        environment=params.get("environment") or "",
        generated=tuple(generated),
        external=external,
        manage_external=params.get("manage_external", True),
        external_required=params.get("external_required", True),
        verify_providers=params.get("verify_providers", True),
        rotate=rotate,
        rotate_due=bool(params.get("rotate_due")),
        rotation_max_age_days=age,
        compare_with=tuple(compare),
        export_fingerprints=params.get("export_fingerprints") or None,
        create_namespace=bool(params.get("create_namespace")),
        provider_urls={
            "sendgrid": params.get("sendgrid_url") or "https://api.sendgrid.com",
            "twilio": params.get("twilio_url") or "https://api.twilio.com",
            "razorpay": params.get("razorpay_url") or "https://api.razorpay.com",
            "aws": params.get("aws_sts_url") or "",
        },
        aws_region=params.get("aws_region") or "us-east-1",
        http=saas.HttpSettings(
            ca_bundle=params.get("ca_bundle") or None,
            validate_certs=params.get("validate_certs", True),
            timeout=float(params.get("provider_timeout") or 10.0),
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
        rotate |= {k for k in due if k in {g.name for g in request.generated}}
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
                annotations.setdefault(time_name, stamp)
                reasons.append(f"{key} fingerprint recorded")
            annotations[fp_name] = fp
        elif time_name not in annotations:
            annotations[time_name] = stamp
            reasons.append(f"{key} rotation time recorded")
    if current.labels.get(MANAGER_LABEL[0]) != MANAGER_LABEL[1]:
        reasons.append("managed-by label set")
    changed = bool(reasons) or not current.exists
    return Plan(actions, data, annotations, salt, due, changed, reasons)


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
            set_at = parse_time(current.annotations.get(CREATED_ANNOTATION))
        if set_at is None:
            continue
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


# --- cluster -----------------------------------------------------------------------------------------------------


def _decode_data(raw: dict[str, str] | None, mask: Mask, what: str) -> dict[str, str]:
    data = {}
    for key, encoded in (raw or {}).items():
        try:
            value = base64.b64decode(encoded).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ApiError(f"{what}: key {key} does not hold UTF-8 text") from exc
        mask(value)
        data[key] = value
    return data


def read_secret(kube: Any, namespace: str, name: str, mask: Mask) -> Current:
    what = f"Secret {namespace}/{name}"
    obj = kube.get_or_none(f"reading {what}", kube.core.read_namespaced_secret, name, namespace)
    if obj is None:
        return Current(False, {}, {}, {}, None)
    return Current(
        True,
        _decode_data(obj.data, mask, what),
        dict(obj.metadata.annotations or {}),
        dict(obj.metadata.labels or {}),
        obj.metadata.resource_version,
        obj.type or "Opaque",
    )


def namespace_exists(kube: Any, namespace: str) -> bool:
    return kube.get_or_none(f"reading namespace {namespace}", kube.core.read_namespace, namespace) is not None


def write_secret(kube: Any, request: Request, current: Current, result: Plan) -> str:
    """One create, or one replace guarded by the resourceVersion that was read. Returns the new resourceVersion."""
    from kubernetes import client as k8s_client  # imported here so the planning code runs without the client

    data = {k: base64.b64encode(v.encode("utf-8")).decode("ascii") for k, v in result.data.items() if v is not None}
    labels = dict(current.labels)
    labels[MANAGER_LABEL[0]] = MANAGER_LABEL[1]
    body = k8s_client.V1Secret(
        api_version="v1",
        kind="Secret",
        type=current.type,
        metadata=k8s_client.V1ObjectMeta(
            name=request.name,
            namespace=request.namespace,
            labels=labels,
            annotations=result.annotations,
            resource_version=current.resource_version,
        ),
        data=data,
    )
    what = f"Secret {request.namespace}/{request.name}"
    try:
        if current.exists:
            obj = kube.call(
                f"replacing {what}", kube.core.replace_namespaced_secret, request.name, request.namespace, body
            )
        else:
            obj = kube.call(f"creating {what}", kube.core.create_namespaced_secret, request.namespace, body)
    except ApiError as exc:
        status = getattr(exc.__cause__, "status", None)
        if status == 409:
            raise ApiError(
                f"{what} was changed or created by someone else since it was read; nothing was written, run again"
            ) from exc
        raise
    return obj.metadata.resource_version


def other_fingerprints(
    compare: Compare, default_kube: Any, kube_factory: Callable[..., Any], mask: Mask
) -> FingerprintSet:
    """The fingerprints of another environment: from its exported file, or computed from its Secret's data."""
    if compare.fingerprint_file:
        return FingerprintSet.from_file(compare.label, compare.fingerprint_file)
    kube = default_kube
    if compare.kubeconfig or compare.context:
        kube = kube_factory(compare.kubeconfig, compare.context)
    name = compare.name or "sme-platform-secrets"
    other = read_secret(kube, compare.namespace or "", name, mask)
    if not other.exists:
        raise ConfigurationError(
            f"compare_with {compare.label!r}: Secret {compare.namespace}/{name} does not exist at {kube.server}; "
            "fix compare_with or use an exported fingerprint file"
        )
    return FingerprintSet.from_values(compare.label, other.data, other.salt)


def export_document(request: Request, result: Plan, fingerprints: dict[str, str]) -> dict[str, Any]:
    return {
        "schema": EXPORT_SCHEMA,
        "environment": request.environment,
        "secret": f"{request.namespace}/{request.name}",
        "salt": base64.b64encode(result.salt).decode("ascii"),
        "fingerprints": dict(sorted(fingerprints.items())),
    }


def write_export(path: str, document: dict[str, Any]) -> bool:
    """Write the fingerprint file when its content differs; True when written."""
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return False
    except OSError:
        pass
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.tmp")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)
    return True


# --- evidence ----------------------------------------------------------------------------------------------------


def _evidence(
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
        if reused_keys:
            problems.append("reused from another environment: " + ", ".join(reused_keys))
        out.append(
            passed_if(
                "7.3.3",
                not problems,
                measured={"oldest_days": max(current_ages.values(), default=None), "overdue": sorted(overdue)},
                threshold=f"every key set within {policy} days and not reused from another environment",
                detail="; ".join(problems) if problems else f"{len(current_ages)} keys within the rotation policy",
                where=where,
            )
        )
        rotated_now = sorted(k for k, a in result.actions.items() if a == "rotated")
        left = sorted(k for k in result.due if k not in rotated_now)
        if check_mode and not left:
            status = "skipped" if rotated_now else "passed"
        else:
            status = "failed" if left else "passed"
        out.append(
            entry(
                "post.month1.3",
                status,
                measured={"due": sorted(result.due), "rotated": rotated_now},
                threshold=f"rotate keys older than {policy} days",
                detail=(
                    f"due for rotation: {', '.join(left)} (rotate with rotate: [...] or rotate_due: true; "
                    "external keys at their provider)"
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


def _check_providers(request: Request, values: dict[str, str]) -> dict[str, saas.ProviderAnswer]:
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


class SecretsCheckFailed(CheckFailed):
    """A check failed before anything was written; carries the evidence gathered so far."""

    def __init__(self, message: str, evidence: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.evidence = evidence or []


def _problems_text(issues: dict[str, str]) -> str:
    return "; ".join(f"{key} {why}" for key, why in issues.items())


def run(
    request: Request,
    kube_factory: Callable[..., Any],
    mask: Mask,
    check_mode: bool = False,
    want_diff: bool = False,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Check the inputs, read the Secret, plan, check reuse, write once (unless check mode or verify)."""
    now = now or utcnow()
    ensure = request.mode == "ensure"
    configured = {option: value for option, value in request.external.items() if value}
    for value in configured.values():
        mask(value)
    if ensure and request.manage_external:
        issues = external_problems(configured, request.external_required)
        if issues:
            # Bad input stops the run before the cluster is even contacted.
            raise SecretsCheckFailed(
                "external keys are not fit for production, nothing was written: " + _problems_text(issues)
            )

    kube = kube_factory(None, None)
    where = f"Secret {request.namespace}/{request.name} at {kube.server}"
    current = read_secret(kube, request.namespace, request.name, mask)
    effective = {
        k.option: value for k in EXTERNAL_KEYS if (value := configured.get(k.option) or current.data.get(k.name))
    }
    issues = external_problems(effective, request.external_required) if request.manage_external else {}
    if not ensure and request.manage_external:
        for k in EXTERNAL_KEYS:
            wanted, held = configured.get(k.option), current.data.get(k.name)
            if k.name in issues or not wanted:
                continue
            if held is None:
                issues[k.name] = "is not in the Secret; run playbooks/generate_secrets.yml"
            elif not hmac.compare_digest(held.encode(), wanted.encode()):
                issues[k.name] = "in the Secret differs from the configured value; run playbooks/generate_secrets.yml"
    usable = {k.option: effective[k.option] for k in EXTERNAL_KEYS if k.option in effective and k.name not in issues}
    answers = _check_providers(request, usable)
    refused = [a.detail for a in answers.values() if not a.accepted]
    if ensure and (issues or refused):
        raise SecretsCheckFailed(
            "external keys are not fit for production, nothing was written: "
            + "; ".join(([_problems_text(issues)] if issues else []) + refused)
        )

    namespace_missing = (
        ensure and request.create_namespace and not current.exists and not namespace_exists(kube, request.namespace)
    )
    result = plan(request, current, now, check_mode or not ensure)
    for value in result.data.values():
        if value:
            mask(value)

    final_values = {k: v for k, v in result.data.items() if v and k in request.managed}
    others = [other_fingerprints(c, kube, kube_factory, mask) for c in request.compare_with]
    compared = [c.label for c in request.compare_with]
    reuse = find_reuse(final_values, others)
    dupes = find_duplicates(final_values)
    evidence = _evidence(request, result, where, check_mode, issues, answers, reuse, dupes, compared, now)
    if ensure and (reuse or dupes):
        problems = [f"{k} is reused in {', '.join(v)}" for k, v in sorted(reuse.items())]
        problems += [f"{k} holds the same value as {', '.join(v)}" for k, v in sorted(dupes.items())]
        generated = {g.name for g in request.generated}
        hint = [k for k in sorted(set(reuse) | set(dupes)) if k in generated]
        raise SecretsCheckFailed(
            "values must be unique to this environment, nothing was written: "
            + "; ".join(problems)
            + (f"; rotate them with rotate: [{', '.join(hint)}]" if hint else "")
            + ("; replace the external keys with this environment's own" if set(reuse) - generated else ""),
            evidence,
        )

    fingerprints = {
        k: fp
        for k in request.managed
        if (fp := result.annotations.get(fingerprint_annotation(k))) and fp.startswith(FINGERPRINT_PREFIX)
    }
    changed = result.changed and ensure
    resource_version = current.resource_version
    if changed and not check_mode:
        if namespace_missing:
            from kubernetes import client as k8s_client

            kube.call(
                f"creating namespace {request.namespace}",
                kube.core.create_namespace,
                k8s_client.V1Namespace(metadata=k8s_client.V1ObjectMeta(name=request.namespace)),
            )
        resource_version = write_secret(kube, request, current, result)
    exported = False
    if request.export_fingerprints and ensure:
        document = export_document(request, result, fingerprints)
        exported = (
            would_export(request.export_fingerprints, document)
            if check_mode
            else write_export(request.export_fingerprints, document)
        )

    actions = result.actions
    out: dict[str, Any] = {
        "changed": changed or exported,
        "secret": {
            "name": request.name,
            "namespace": request.namespace,
            "server": kube.server,
            "resource_version": resource_version,
            "exists": current.exists or (changed and not check_mode),
        },
        "created": sorted(k for k, a in actions.items() if a == "created"),
        "rotated": sorted(k for k, a in actions.items() if a == "rotated"),
        "updated": sorted(k for k, a in actions.items() if a == "updated"),
        "kept": sorted(k for k, a in actions.items() if a == "kept"),
        "missing": sorted(k for k, a in actions.items() if a == "missing"),
        "due_for_rotation": result.due,
        "fingerprints": {k: short(v) for k, v in fingerprints.items()},
        "reused": reuse,
        "reasons": result.reasons if changed else [],
        "exported": exported,
        "evidence": evidence,
    }
    if want_diff:
        out["diff"] = diff(request, current, result, changed)
    return out


def diff(request: Request, current: Current, result: Plan, changed: bool) -> dict[str, Any]:
    """Key names and short fingerprints before and after; '(new value)' where check mode would generate one."""
    title = f"Secret {request.namespace}/{request.name}"
    before = {k: short(fingerprint(result.salt, current.data[k])) for k in request.managed if k in current.data}
    after = {}
    for k in request.managed:
        if result.actions.get(k) == "missing" and k not in current.data:
            continue
        fp = result.annotations.get(fingerprint_annotation(k), "")
        after[k] = short(fp) if fp.startswith(FINGERPRINT_PREFIX) else "(new value)"
    return {
        "before": {"keys": before} if current.exists else {},
        "after": {"keys": after} if changed else ({"keys": before} if current.exists else {}),
        "before_header": f"{title} (fingerprints)",
        "after_header": f"{title} (fingerprints)",
    }


def would_export(path: str, document: dict[str, Any]) -> bool:
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read() != text
    except OSError:
        return True
