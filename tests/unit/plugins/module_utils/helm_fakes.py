"""A Helm release as `helm get all -o json` returns it, for the unit tests of the helm client and the release engine."""

from __future__ import annotations

MANIFEST = """---
# Source: x/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - {name: web, image: "reg/web:v1"}
        - {name: side, image: "reg/side:v2"}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate: {}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
"""


def release(manifest=MANIFEST, config=None, status="deployed", version=1, chart=("x", "1.0.0")):
    return {
        "name": "r",
        "namespace": "ns",
        "version": version,
        "info": {"status": status},
        "chart": {"metadata": {"name": chart[0], "version": chart[1], "appVersion": "1"}},
        "config": config or {"image": {"tag": "v1"}},
        "manifest": manifest,
    }
