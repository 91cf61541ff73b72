"""A stand-in for an HttpSession factory: each request gets the next canned answer; what was sent is kept."""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import Response


class Answers:
    def __init__(self, *answers: tuple[int, Any]) -> None:
        """Each answer is (status, body): bytes as they are, anything else as JSON."""
        self.answers = list(answers)
        self.sent: list[tuple[str, str, dict, Any]] = []

    def __call__(self) -> Answers:
        return self

    def __enter__(self) -> Answers:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def request(self, method: str, url: str, headers: Any = None, json_body: Any = None) -> Response:
        self.sent.append((method, url, dict(headers or {}), json_body))
        status, body = self.answers.pop(0)
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return Response(status=status, headers={}, body=raw, elapsed=0.0, url=url, method=method)
