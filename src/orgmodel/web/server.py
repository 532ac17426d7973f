"""Start the web app: local by default, a generated token when it listens beyond this machine."""

from __future__ import annotations

import ipaddress
import secrets
import socket
from pathlib import Path

from orgmodel.errors import UserError

__all__ = ["serve", "is_local", "address"]


def is_local(host: str) -> bool:
    """Whether ``host`` is an address of this machine only.

    >>> is_local("127.0.0.1"), is_local("localhost"), is_local("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def address(host: str, port: int, token: str | None = None) -> str:
    """The address to open.

    >>> address("127.0.0.1", 8765)
    'http://127.0.0.1:8765/'
    >>> address("::1", 8765, "abc")
    'http://[::1]:8765/?token=abc'
    """
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def _free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def serve(folder: str | Path, *, host: str = "127.0.0.1", port: int = 8765, print_=print) -> None:
    """Serve ``folder`` until interrupted; prints the address (with the token when remote)."""
    try:
        import uvicorn

        from orgmodel.web.app import create_app
    except ImportError as exc:
        raise UserError(f"orgmodel serve needs the web extra: pip install 'orgmodel[web]' ({exc.name} missing)") from None
    token = None if is_local(host) else secrets.token_urlsafe(18)
    if not _free(host, port):
        raise UserError(f"{host}:{port} is in use; choose another with --port")
    hosts = None
    if is_local(host):
        hosts = [f"{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]")] + ["127.0.0.1", "localhost"]
    app = create_app(folder, token=token, hosts=hosts)
    print_(f"orgmodel serve: {address(host, port, token)}  (Ctrl+C to stop)")
    if token:
        print_("listening beyond this machine: the address above carries the access token; share it with care")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
