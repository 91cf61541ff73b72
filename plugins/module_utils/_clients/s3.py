# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A read-only client of the S3 REST API (AWS S3 or any S3-compatible store), signed with Signature Version 4.

Only what the file backup check reads of one bucket: its location, versioning, lifecycle rules and the newest
objects. Path-style requests (``<endpoint>/<bucket>?...``), which AWS and the S3-compatible stores all accept.
The secret access key only signs; messages name the request, never a header.
"""

from __future__ import annotations

import datetime
import hashlib
import xml.etree.ElementTree as ET  # noqa: S405 - answers of the configured S3 endpoint only
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession, split_url
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.providers import sigv4_authorization
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import parse_time

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_LIST_PAGES = 10


@dataclass(frozen=True)
class LifecycleRule:
    id: str
    enabled: bool
    expiration_days: int | None
    noncurrent_days: int | None
    transitions: tuple[str, ...]


@dataclass(frozen=True)
class NewestObject:
    key: str
    last_modified: datetime.datetime
    count: int


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: ET.Element | None, name: str) -> str:
    found = _find(element, name) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


class S3Bucket:
    """One bucket on one S3 endpoint; each request opens its own session (thread-safe)."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        session: Callable[[], HttpSession],
        now: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        if not bucket:
            raise ConfigurationError("no S3 bucket named for the file backups: set the backup bucket's name")
        if not region:
            raise ConfigurationError(f"no region for S3 bucket {bucket}: set the region the bucket must be in")
        if not access_key_id or not secret_access_key:
            raise ConfigurationError(
                f"no S3 credentials for bucket {bucket}: set an access key allowed s3:GetBucketLocation, "
                "s3:GetBucketVersioning, s3:GetLifecycleConfiguration and s3:ListBucket"
            )
        self.endpoint = (endpoint or f"https://s3.{region}.amazonaws.com").rstrip("/")
        split_url(self.endpoint)
        self.bucket = bucket
        self.region = region
        self._key_id = access_key_id
        self._secret = secret_access_key
        self._session = session
        self._now = now or (lambda: datetime.datetime.now(datetime.UTC))

    @property
    def where(self) -> str:
        return f"{self.endpoint}/{self.bucket}"

    def get(self, query: dict[str, str]) -> tuple[int, ET.Element | None]:
        """(status, parsed XML root or None) of a signed GET on the bucket with the query."""
        path = "/" + quote(self.bucket, safe="")
        url = f"{self.endpoint}{path}?{urlencode(query)}"
        amz_date = self._now().strftime("%Y%m%dT%H%M%SZ")
        headers = {
            "host": urlsplit(self.endpoint).netloc,
            "x-amz-date": amz_date,
            "x-amz-content-sha256": EMPTY_SHA256,
        }
        auth = sigv4_authorization("GET", url, headers, b"", self._key_id, self._secret, self.region, "s3", amz_date)
        send = {k: v for k, v in headers.items() if k != "host"}
        send["Authorization"] = auth
        with self._session() as session:
            response = session.request("GET", url, headers=send)
        root = None
        if response.body:
            try:
                root = ET.fromstring(response.body)  # noqa: S314 - the configured S3 endpoint's answer
            except ET.ParseError:
                root = None
        if response.status in (401, 403):
            raise ConnectionFailure(
                f"S3 refused GET {self.where}?{'&'.join(query)}: HTTP {response.status} {_text(root, 'Code')}; "
                "check the access key and its bucket policy"
            )
        if response.status == 404 and _text(root, "Code") == "NoSuchBucket":
            raise ApiError(f"S3 bucket {self.bucket} does not exist at {self.endpoint}")
        return response.status, root

    def _ok(self, query: dict[str, str]) -> ET.Element:
        status, root = self.get(query)
        if status != 200 or root is None:
            code = _text(root, "Code") if root is not None else ""
            raise ApiError(f"S3 GET {self.where}?{'&'.join(query)} answered {status} {code}".rstrip())
        return root

    def location(self) -> str:
        """The bucket's region (GetBucketLocation; an empty constraint is us-east-1)."""
        root = self._ok({"location": ""})
        return (root.text or "").strip() or "us-east-1"

    def versioning(self) -> str:
        """Enabled, Suspended, or '' when versioning was never turned on."""
        return _text(self._ok({"versioning": ""}), "Status")

    def lifecycle(self) -> list[LifecycleRule]:
        """The bucket's lifecycle rules; [] when it has no lifecycle configuration."""
        status, root = self.get({"lifecycle": ""})
        if status == 404 and _text(root, "Code") == "NoSuchLifecycleConfiguration":
            return []
        if status != 200 or root is None:
            raise ApiError(f"S3 GET {self.where}?lifecycle answered {status}")
        rules = []
        for rule in root:
            if _local(rule.tag) != "Rule":
                continue
            expiration = _find(rule, "Expiration")
            noncurrent = _find(rule, "NoncurrentVersionExpiration")
            transitions = tuple(
                f"{_text(t, 'StorageClass')} after {_text(t, 'Days')}d" for t in rule if _local(t.tag) == "Transition"
            )
            rules.append(
                LifecycleRule(
                    id=_text(rule, "ID"),
                    enabled=_text(rule, "Status") == "Enabled",
                    expiration_days=_int(_text(expiration, "Days")) if expiration is not None else None,
                    noncurrent_days=_int(_text(noncurrent, "NoncurrentDays")) if noncurrent is not None else None,
                    transitions=transitions,
                )
            )
        return rules

    def newest_object(self, prefix: str = "") -> NewestObject | None:
        """The most recently written object under prefix (ListObjectsV2, at most MAX_LIST_PAGES pages)."""
        newest: tuple[datetime.datetime, str] | None = None
        count = 0
        token = ""
        for _page in range(MAX_LIST_PAGES):
            query = {"list-type": "2", "max-keys": "1000", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            root = self._ok(query)
            for item in root:
                if _local(item.tag) != "Contents":
                    continue
                count += 1
                stamp = parse_time(_text(item, "LastModified"))
                if stamp is not None and (newest is None or stamp > newest[0]):
                    newest = (stamp, _text(item, "Key"))
            token = _text(root, "NextContinuationToken")
            if _text(root, "IsTruncated") != "true" or not token:
                break
        return NewestObject(newest[1], newest[0], count) if newest else None

    def age(self, stamp: datetime.datetime) -> float:
        return max(0.0, (self._now() - stamp).total_seconds())
