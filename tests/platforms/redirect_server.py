"""A real HTTP server on 127.0.0.1 that answers as the platforms' short-link hosts would, and a
transport that sends every https request for a platform host to it.

The link resolver is given `LocalTransport(server)` as its connector: requests leave through a
real `httpx.AsyncHTTPTransport` over a real socket, so redirects, timeouts and unread bodies behave
as they do on the network; only the address the host resolves to is the local server's."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


@dataclass
class Route:
    status: int = 302
    location: str | None = None
    delay_s: float = 0.0
    body: bytes = b""


@dataclass
class RedirectServer:
    port: int = 0
    routes: dict[str, Route] = field(default_factory=dict)
    # Every request as "host/path?query", with whether it carried a Cookie header.
    seen: list[tuple[str, bool]] = field(default_factory=list)

    def redirect(self, url: str, location: str, status: int = 302) -> None:
        self.routes[_key(url)] = Route(status=status, location=location)

    def answer(self, url: str, status: int, *, delay_s: float = 0.0, body: bytes = b"") -> None:
        self.routes[_key(url)] = Route(status=status, delay_s=delay_s, body=body)

    @property
    def requested(self) -> list[str]:
        return [url for url, _ in self.seen]


def _key(url: str) -> str:
    parsed = httpx.URL(url)
    query = f"?{parsed.query.decode()}" if parsed.query else ""
    return f"{parsed.host}{parsed.path}{query}"


class LocalTransport(httpx.AsyncBaseTransport):
    """Sends https://<host>/<path> to http://127.0.0.1:<port>/<host>/<path>."""

    def __init__(self, server: RedirectServer) -> None:
        self._server = server
        self._inner = httpx.AsyncHTTPTransport()
        self.schemes: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.schemes.append(request.url.scheme)
        local = request.url.copy_with(
            scheme="http",
            host="127.0.0.1",
            port=self._server.port,
            path=f"/{request.url.host}{request.url.path}",
        )
        forwarded = httpx.Request(
            request.method, local, headers=request.headers, extensions=request.extensions
        )
        return await self._inner.handle_async_request(forwarded)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _handler(server: RedirectServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            key = self.path.lstrip("/")
            server.seen.append((key, "Cookie" in self.headers))
            route = server.routes.get(key, Route(status=404))
            if route.delay_s:
                time.sleep(route.delay_s)
            try:
                self.send_response(route.status)
                if route.location:
                    self.send_header("Location", route.location)
                # A session cookie, as platforms set one: the resolver must never send it back.
                self.send_header("Set-Cookie", "session=abc; Path=/; Secure")
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running() -> Iterator[RedirectServer]:
    state = RedirectServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
