"""The web app and JSON API over an archive (``search_cli.py serve``): see unionkb.web.app."""

from __future__ import annotations

import socket

from unionkb.web.app import create_app

__all__ = ["create_app", "bind", "serve"]


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, so a busy port is one clear error before anything starts.
    Port 0 picks a free one (see ``getsockname()``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say
    # they are TCP; without it every keep-alive response waited ~40 ms for a delayed ACK
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(app, sock: socket.socket, access_log: bool = True) -> None:
    """Run ``app`` with uvicorn on an already bound socket until interrupted."""
    import uvicorn

    config = uvicorn.Config(
        app, log_level="info" if access_log else "warning", access_log=access_log, timeout_graceful_shutdown=5
    )
    uvicorn.Server(config).run(sockets=[sock])
