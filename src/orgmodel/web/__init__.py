"""``orgmodel serve``: a local web app for planners, over the same scenario files and results folders.

Server-rendered pages (FastAPI, Jinja2 templates, htmx) that go through :mod:`orgmodel.api` only.
See docs/web.md. The optional dependencies come with ``pip install 'orgmodel[web]'``.
"""

from __future__ import annotations

__all__ = ["serve"]

from orgmodel.web.server import serve
