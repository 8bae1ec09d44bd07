"""Where a subscription may send: an http(s) URL whose host is, and resolves only to, public
addresses. A delivery is a request Sway makes on a customer's behalf, so without this guard a
subscription could make Sway probe its own network (Postgres, Redis, cloud metadata at
169.254.169.254). Checked when a subscription is created or changed, and again before every
send, since what a name resolves to can change in between. Redirects are never followed."""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

# A name that takes longer than this to resolve is treated as one that does not resolve.
RESOLVE_TIMEOUT_S = 5.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The URL is not a place Sway sends to; `reason` says why, in words fit for the API."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse(url: str) -> tuple[str, int]:
    """The URL's host and port, or TargetRefused unless it is an http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("the URL must start with https:// or http://")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def refused_address(address: IPAddress) -> str | None:
    """Why an address is not a public one, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # Most specific first: Python counts link-local, reserved and unspecified as private too.
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    # Shared (carrier-grade NAT), documentation and other special-purpose ranges.
    if not address.is_global:
        return f"{address} is not a public address"
    return None


async def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S
        )
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise TargetRefused(f"the host {host} does not resolve") from exc
    # Scope ids ("fe80::1%eth0") are not part of the address.
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


async def check(url: str, *, allow_private: bool) -> None:
    """Raise TargetRefused unless Sway may send to `url`. With private targets allowed (dev and
    test, or SWAY_OUTBOUND_ALLOW_PRIVATE=true) only the URL's shape is checked."""
    host, port = parse(url)
    if allow_private:
        return
    addresses = await resolve(host, port)
    if not addresses:
        raise TargetRefused(f"the host {host} does not resolve")
    for address in addresses:
        reason = refused_address(address)
        if reason is not None:
            raise TargetRefused(
                f"the host {host} is not a public address ({reason}); "
                "private, loopback and link-local targets are refused"
            )
