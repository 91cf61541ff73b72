# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The secrets' values: encodings, generation, salted fingerprints, the managed keys and their production rules,
reuse across environments. Nothing here returns, logs or raises a value."""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
)

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


def fingerprint_annotation(key: str) -> str:
    return f"{ANNOTATION_PREFIX}fingerprint.{key}"


def rotated_annotation(key: str) -> str:
    return f"{ANNOTATION_PREFIX}rotated-at.{key}"
