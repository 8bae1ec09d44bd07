"""Follow a pasted short or share link (vm.tiktok.com, pin.it, lnkd.in, t.co, fb.watch,
facebook.com/share/, instagram.com/share/, tiktok.com/t/) to the post it stands for, then parse
that URL offline (`shared/platforms/urls.py`).

A pasted link is untrusted input that makes Sway send requests, so every hop is checked before it
is requested: https only (a platform's own http link is upgraded), port 443, no credentials in the
URL, and a host of the link's own platform; a hop limit and one deadline for the whole walk. No
cookies are kept or sent (requests go straight to the transport, which has no cookie jar) and no
body is read: a redirect says everything in its Location header. The walk stops, without
requesting it, at the first URL that is no short link, so the post page itself is never fetched.

Every refusal is an `UnrecognizedURL` written for the person who pasted the link."""

import asyncio
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx

from shared.platforms.base import Platform
from shared.platforms.urls import (
    ParsedPost,
    ShortLink,
    UnrecognizedURL,
    parse_post_url,
    platform_of_host,
)

P = Platform
REDIRECTS = {301, 302, 303, 307, 308}
USER_AGENT = "Sway/0.1 (+self-hosted influencer analytics; link resolver)"
# Hosts a platform's short links pass through on their way to the post, that the parser does not
# know as the platform's (they never are a post's own URL).
_WAYPOINTS = {P.pinterest: frozenset({"api.pinterest.com"})}
# Logged-out visitors are sent to a login page that carries the post's URL in `next`.
_LOGIN_PAGES = {
    P.facebook: ("/login", "/login.php"),
    P.instagram: ("/accounts/login",),
}


class LinkResolver:
    """Where a short link leads. `transport` is the connector every hop goes through (the
    production one is plain `httpx.AsyncHTTPTransport()`; tests route the platforms' hosts to a
    local server with their own)."""

    def __init__(
        self, transport: httpx.AsyncBaseTransport, *, timeout_s: float, max_hops: int
    ) -> None:
        self._transport = transport
        self._timeout_s = timeout_s
        self._max_hops = max_hops

    async def parse_post(self, url: str) -> ParsedPost:
        """The post a pasted URL names, following it first when it is a short link."""
        try:
            return parse_post_url(url)
        except ShortLink as short:
            final = await self.resolve(url, short.platform)
        try:
            return parse_post_url(final)
        except UnrecognizedURL as exc:
            raise UnrecognizedURL(f"{_shown(url)} leads to {_shown(final)}: {exc}") from exc

    async def resolve(self, url: str, platform: Platform) -> str:
        """The first URL along the link's redirects that is no short link."""
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._walk(url, platform)
        except TimeoutError:
            raise UnrecognizedURL(
                f"{platform}: {_shown(url)} did not answer within {self._timeout_s:g} s; "
                "try again, or paste the link the post opens at"
            ) from None

    async def _walk(self, url: str, platform: Platform) -> str:
        current, seen = _checked(url, platform, url), set()
        for _ in range(self._max_hops):
            seen.add(current)
            target = await self._next(current, platform, url)
            target = _checked(_past_login(target, platform), platform, url)
            if target in seen:
                raise UnrecognizedURL(
                    f"{platform}: {_shown(url)} redirects in a loop; "
                    "paste the link the post opens at"
                )
            if not _leads_on(target, platform):
                return target
            current = target
        raise UnrecognizedURL(
            f"{platform}: {_shown(url)} redirects more than {self._max_hops} times; "
            "paste the link the post opens at"
        )

    async def _next(self, url: str, platform: Platform, pasted: str) -> str:
        """Where one hop points. Only the status line and headers are read."""
        request = httpx.Request("GET", url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
        request.extensions["timeout"] = httpx.Timeout(self._timeout_s).as_dict()
        try:
            response = await self._transport.handle_async_request(request)
        except httpx.TransportError as exc:
            host = httpx.URL(url).host
            raise UnrecognizedURL(
                f"{platform}: could not reach {host} to resolve {_shown(pasted)} "
                f"({type(exc).__name__}); try again, or paste the link the post opens at"
            ) from exc
        await response.aclose()
        location = response.headers.get("location")
        if response.status_code in REDIRECTS and location:
            return urljoin(url, location.strip())
        if response.status_code == 404 or response.status_code == 410:
            raise UnrecognizedURL(
                f"{platform}: {_shown(pasted)} does not exist (HTTP {response.status_code}); "
                "check the link"
            )
        raise UnrecognizedURL(
            f"{platform}: {_shown(pasted)} did not redirect to a post (HTTP "
            f"{response.status_code} from {httpx.URL(url).host}); paste the link the post "
            "opens at"
        )


def _checked(url: str, platform: Platform, pasted: str) -> str:
    """The hop as it will be requested, or a refusal: only the platform's own hosts, over https
    on the default port, with no user or password in the URL."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text.removeprefix("//")
    try:
        split = urlsplit(text)
        host, port = (split.hostname or "").rstrip("."), split.port
    except ValueError:
        raise UnrecognizedURL(f"{platform}: {_shown(pasted)} leads to an invalid URL") from None
    if split.scheme.lower() not in ("http", "https") or split.username or split.password:
        raise UnrecognizedURL(
            f"{platform}: {_shown(pasted)} leads to a {split.scheme or 'non-web'}:// URL, "
            "which Sway does not follow"
        )
    if not _allowed(host, platform) or port not in (None, 443):
        raise UnrecognizedURL(
            f"{platform}: {_shown(pasted)} leads outside {platform} (to {host or 'nowhere'}"
            f"{f':{port}' if port else ''}), so it is not a {platform} post; paste the "
            "post's own link"
        )
    # A platform's http link is its https link: nothing is ever sent in the clear.
    return split._replace(scheme="https", netloc=host).geturl()


def _allowed(host: str, platform: Platform) -> bool:
    return platform_of_host(host) == platform or host in _WAYPOINTS.get(platform, ())


def _past_login(url: str, platform: Platform) -> str:
    """A login page's `next`, when it names a path or a URL: where the link really leads."""
    split, pages = urlsplit(url), _LOGIN_PAGES.get(platform)
    if pages is None or not split.path.rstrip("/").startswith(pages):
        return url
    target = dict(parse_qsl(split.query)).get("next", "")
    return urljoin(url, target) if target else url


def _leads_on(url: str, platform: Platform) -> bool:
    """Whether this URL is still on the way to the post: a short link, or a waypoint host."""
    if urlsplit(url).hostname in _WAYPOINTS.get(platform, ()):
        return True
    try:
        parse_post_url(url)
    except ShortLink:
        return True
    except UnrecognizedURL:
        return False
    return False


def _shown(url: str) -> str:
    return url.strip()[:200]
