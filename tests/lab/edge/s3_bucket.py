"""Make a bucket on the lab's S3 server (moto in server mode) the way the infrastructure code would in production.

    python tests/lab/edge/s3_bucket.py --endpoint http://127.0.0.1:15585 NAME --region ap-south-2 \
        [--ca-bundle CA] [--versioning Enabled|Suspended|off] [--lifecycle-days 90|0] [--object KEY ...]

Creates the bucket in its region when missing, sets versioning and a lifecycle rule (noncurrent versions expire
after the given days; 0: no lifecycle configuration) and writes the objects, through the S3 REST API. Standard
library only, so the lab's `up` and the tests run it with the project's Python. The lab server does not check
request signatures, so these setup requests are unsigned; the collection's own reads are signed.
"""

from __future__ import annotations

import argparse
import ssl
import sys
import urllib.error
import urllib.request

LIFECYCLE = """<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ID>{id}</ID>
<Filter><Prefix></Prefix></Filter><Status>Enabled</Status>
<NoncurrentVersionExpiration><NoncurrentDays>{days}</NoncurrentDays></NoncurrentVersionExpiration>
<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>
</Rule></LifecycleConfiguration>"""


CONTEXT: ssl.SSLContext | None = None


def call(method: str, url: str, body: bytes = b"", ok: tuple[int, ...] = (200, 204)) -> int:
    # A form content type (urllib's default for a body) would make the server parse the XML as form fields.
    request = urllib.request.Request(  # noqa: S310 - the lab's S3 server, an https URL given by lab.sh
        url,
        data=body if method in ("PUT", "POST") else None,
        method=method,
        headers={"Content-Type": "application/xml"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10, context=CONTEXT) as answer:  # noqa: S310 - the lab's S3 server
            status = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status not in ok:
        raise SystemExit(f"S3 {method} {url}: HTTP {status}")
    return status


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--ca-bundle", help="CA that signed the endpoint's certificate (https)")
    p.add_argument("name")
    p.add_argument("--region", required=True)
    p.add_argument("--versioning", choices=["Enabled", "Suspended", "off"], default="Enabled")
    p.add_argument("--lifecycle-days", type=int, default=90)
    p.add_argument("--object", action="append", default=[])
    args = p.parse_args()
    global CONTEXT
    CONTEXT = ssl.create_default_context(cafile=args.ca_bundle) if args.ca_bundle else None
    base = f"{args.endpoint.rstrip('/')}/{args.name}"
    config = (
        '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<LocationConstraint>{args.region}</LocationConstraint></CreateBucketConfiguration>"
    ).encode()
    if call("HEAD", base, ok=(200, 404)) == 404:
        call("PUT", base, config)
    if args.versioning != "off":
        status = f"<VersioningConfiguration><Status>{args.versioning}</Status></VersioningConfiguration>"
        call("PUT", base + "?versioning", status.encode())
    if args.lifecycle_days > 0:
        rule = LIFECYCLE.format(id="uploads-noncurrent-expiry", days=args.lifecycle_days)
        call("PUT", base + "?lifecycle", rule.encode())
    else:
        call("DELETE", base + "?lifecycle", ok=(200, 204, 404))
    for key in args.object:
        call("PUT", f"{base}/{key}", f"lab file backup {key}\n".encode())
    print(f"bucket {args.name} in {args.region}: versioning {args.versioning}, lifecycle {args.lifecycle_days}d")


if __name__ == "__main__":
    sys.exit(main())
