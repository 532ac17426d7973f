"""Helpers for testing the web app: a served copy of a scenario folder and a client that sends the CSRF token.

Used by the web app's own tests; needs the test extra (httpx2, which starlette's test client asks for) besides the web extra.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from fastapi.testclient import TestClient

from orgmodel.web.app import create_app

__all__ = ["Client", "copy_scenario"]


def copy_scenario(source: Path, into: Path) -> Path:
    """Copy the scenario folder ``source`` (without its results) into ``into``; returns the copy."""
    target = into / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("out", "__pycache__"))
    return target


class Client:
    """A test client that reads the CSRF token from the first page and sends it with every POST."""

    def __init__(self, root: Path, **kwargs: object) -> None:
        self.app = create_app(root, **kwargs)
        self.http = TestClient(self.app)
        page = self.http.get("/?all=1")
        self.csrf = re.search(r'X-CSRF-Token": "([^"]+)"', page.text)[1]

    def get(self, url: str, **kwargs: object):  # noqa: ANN201
        return self.http.get(url, **kwargs)

    def post(self, url: str, *, hx: bool = True, **kwargs: object):  # noqa: ANN201
        headers = {"X-CSRF-Token": self.csrf, **({"HX-Request": "true"} if hx else {}), **kwargs.pop("headers", {})}
        return self.http.post(url, headers=headers, **kwargs)

    def run(self, key: str, timeout: float = 120) -> str:
        """Start a run through the page and poll its progress until it ends; returns the last fragment."""
        first = self.post(f"/s/{key}/run")
        assert first.status_code == 200 and 'id="run-state"' in first.text, first.text
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.get(f"/s/{key}/run").text
            if 'data-status="running"' not in state:
                return state
            time.sleep(0.2)
        raise AssertionError("the run did not end in time")
