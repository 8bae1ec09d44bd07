"""A lean closed-loop HTTP/1.1 load generator: N keep-alive connections, each sending its next
GET as soon as the previous answer is complete, for a warm-up and then a measured window.

It is a bare asyncio Protocol (on uvloop when installed) rather than httpx because on a 2-core
machine the generator shares the CPU with the server it measures: every cycle it spends parsing
is a cycle the server does not get, and httpx costs several times more per request than this.

Run it in its own process: `python -m bench.loadgen < spec.json` prints one JSON result line.
The spec: {"host", "port", "paths": [...], "headers": {...}, "connections", "warmup_s",
"duration_s", "seed"}. Paths are picked at random for each request. Requests that complete
inside the measured window count (throughput = those / window); latencies are reported in
milliseconds. Optional: "ok_status" (the answer that counts as success, default 200), and
"requests_file" instead of "paths": a file of complete requests (each line the base64 of its
bytes), sent once each in order, for requests that must differ (signed webhooks, each with
its own id); running out of them ends the run with an error.
"""

import asyncio
import base64
import json
import random
import sys
import time
from dataclasses import dataclass, field


@dataclass
class Window:
    start_ns: int  # perf_counter_ns: the end of the warm-up
    end_ns: int
    latencies_ns: list[int] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    done: bool = False


class Connection(asyncio.Protocol):
    """One keep-alive connection. Parses only what it must: the status, Content-Length, and the
    end of the body (servers here always send Content-Length, never chunked)."""

    def __init__(
        self, requests: "Requests", window: Window, rng: random.Random, closed: asyncio.Future
    ) -> None:
        self.requests = requests
        self.window = window
        self.rng = rng
        self.closed = closed
        self.buffer = bytearray()
        self.needed = -1  # total bytes of the current response once its headers are read
        self.status = 0
        self.sent_at = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        self.sent_at = time.perf_counter_ns()
        self.transport.write(self.requests.next(self.rng))

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while True:
            if self.needed < 0:
                head_end = buffer.find(b"\r\n\r\n")
                if head_end < 0:
                    return
                head = bytes(buffer[:head_end]).lower()
                self.status = int(head[9:12])
                at = head.find(b"content-length:")
                if at < 0:
                    raise RuntimeError("response without Content-Length")
                line_end = head.find(b"\r\n", at)
                length = int(head[at + 15 : line_end if line_end >= 0 else len(head)])
                self.needed = head_end + 4 + length
            if len(buffer) < self.needed:
                return
            del buffer[: self.needed]
            self.needed = -1
            self._completed()
            if self.window.done:
                self.transport.close()
                return
            self._send()

    def _completed(self) -> None:
        now_ns = time.perf_counter_ns()
        window = self.window
        if window.start_ns <= now_ns <= window.end_ns:
            window.latencies_ns.append(now_ns - self.sent_at)
            window.statuses[self.status] = window.statuses.get(self.status, 0) + 1

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(exc)


class Requests:
    """What the connections send: a random pick among `pool`, or each of `once` in turn."""

    def __init__(self, pool: list[bytes] | None = None, once: list[bytes] | None = None) -> None:
        self.pool = pool
        self.once = iter(once or ())

    def next(self, rng: random.Random) -> bytes:
        if self.pool is not None:
            return rng.choice(self.pool)
        try:
            return next(self.once)
        except StopIteration:
            raise RuntimeError("requests_file ran out: give it more requests") from None


def _requests(spec: dict) -> Requests:
    if "requests_file" in spec:
        with open(spec["requests_file"], "rb") as lines:
            return Requests(once=[base64.b64decode(line) for line in lines])
    host, port, headers = spec["host"], spec["port"], spec.get("headers", {})
    return Requests(pool=[_request_bytes(host, port, path, headers) for path in spec["paths"]])


def _request_bytes(host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def percentile(sorted_values: list[int], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


async def run(spec: dict) -> dict:
    loop = asyncio.get_running_loop()
    host, port = spec["host"], spec["port"]
    requests = _requests(spec)
    began = time.perf_counter()
    start_ns = int((began + spec["warmup_s"]) * 1e9)
    window = Window(start_ns=start_ns, end_ns=start_ns + int(spec["duration_s"] * 1e9))
    rng = random.Random(spec.get("seed", 0))
    closed = []
    for n in range(spec["connections"]):
        future = loop.create_future()
        closed.append(future)
        await loop.create_connection(
            lambda f=future, n=n: Connection(requests, window, random.Random(rng.random() + n), f),
            host,
            port,
        )
    await asyncio.sleep(window.end_ns / 1e9 - time.perf_counter())
    window.done = True
    # Connections close after their in-flight answer; a stuck server must not hang the run.
    _, pending = await asyncio.wait(closed, timeout=10)
    latencies = sorted(window.latencies_ns)
    count = len(latencies)
    ok = window.statuses.get(spec.get("ok_status", 200), 0)
    return {
        "connections": spec["connections"],
        "duration_s": spec["duration_s"],
        "requests": count,
        "rps": count / spec["duration_s"],
        "p50_ms": percentile(latencies, 0.50) / 1e6,
        "p90_ms": percentile(latencies, 0.90) / 1e6,
        "p99_ms": percentile(latencies, 0.99) / 1e6,
        "max_ms": (latencies[-1] / 1e6) if latencies else float("nan"),
        "non_200": count - ok,
        "statuses": {str(k): v for k, v in sorted(window.statuses.items())},
        "unclosed_connections": len(pending),
    }


def main() -> None:
    spec = json.load(sys.stdin)
    try:
        from uvloop import run as run_loop
    except ImportError:
        run_loop = asyncio.run
    print(json.dumps(run_loop(run(spec))), flush=True)


if __name__ == "__main__":
    main()
