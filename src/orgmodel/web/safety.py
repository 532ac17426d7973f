"""The app's walls: an access token for remote use, CSRF on every change, size limits, allowed hosts.

One ASGI middleware checks every request before any route sees it:

* **token** (only when the app listens beyond this machine): ``?token=…`` once sets a cookie;
  without either the answer is 403.
* **hosts**: the ``Host`` header must be one the app listens on (stops DNS-rebinding pages).
* **CSRF**: a request that changes anything (POST) must carry the page's token in the
  ``X-CSRF-Token`` header (htmx sends it from ``hx-headers``), and an ``Origin``, when given, must
  be the app's own. A page of another site can do neither.
* **size**: a body over the limit is refused before it is read.

Refusals are a short HTML page that says why.
"""

from __future__ import annotations

import hmac
import html
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Walls", "TOKEN_COOKIE", "CSRF_HEADER"]

TOKEN_COOKIE = "orgmodel_token"
CSRF_HEADER = "x-csrf-token"

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


async def _refuse(send: Send, status: int, message: str) -> None:
    body = (f'<!DOCTYPE html><html lang="zh-CN"><meta charset="utf-8"><title>{status}</title>'
            f'<p class="error" id="refused">{html.escape(message)}</p></html>').encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class Walls:
    """The middleware; ``app`` is the ASGI app it guards."""

    def __init__(self, app: Any, *, csrf: str, max_body: int, token: str | None = None,
                 hosts: Iterable[str] | None = None) -> None:
        self.app, self.csrf, self.max_body, self.token = app, csrf, max_body, token
        self.hosts = {h.lower() for h in hosts} if hosts is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "").lower()
        if self.hosts is not None and host not in self.hosts:
            await _refuse(send, 400, f"unexpected Host {host!r}; open the address orgmodel serve printed")
            return
        set_cookie = False
        if self.token is not None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            cookies = dict(part.strip().split("=", 1) for part in headers.get("cookie", "").split(";") if "=" in part)
            if _same(query.get("token", [None])[0], self.token):
                set_cookie = True
            elif not _same(cookies.get(TOKEN_COOKIE), self.token):
                await _refuse(send, 403, "访问需要令牌：请打开 orgmodel serve 显示的完整地址 "
                                         "(a token is required: open the full address orgmodel serve printed)")
                return
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            if not _same(headers.get(CSRF_HEADER), self.csrf):
                await _refuse(send, 403, "表单已过期或来自其他网站，请刷新页面后重试 "
                                         "(the form is stale or came from another site: reload the page)")
                return
            origin = headers.get("origin")
            if origin and origin != "null" and urlsplit(origin).netloc.lower() != host:
                await _refuse(send, 403, f"request from another site ({origin}) refused")
                return
            length = headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body:
                await _refuse(send, 413, f"文件过大：最多 {self.max_body // 2**20} MB "
                                         f"(the upload is larger than {self.max_body // 2**20} MB)")
                return
            receive = self._counted(receive)

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if set_cookie and message["type"] == "http.response.start":
                cookie = f"{TOKEN_COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _counted(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body:
                raise BodyTooLarge(self.max_body)
            return message

        return counted


class BodyTooLarge(Exception):
    """A body without a length that grew past the limit while it was read."""
