"""Instagram (Business and Creator accounts) and Facebook Pages through Facebook Login, the
manually built flow (docs/connecting.md, "Instagram" and "Facebook").

Meta issues no refresh token. The code buys a short-lived user token (about an hour), exchanged
at once for a long-lived one (about 60 days), which reads the Page token of the account's Page.
A Page token read with a long-lived user token has no expiry date, so that is what the account
keeps, stored without an expiry: the refresh cron leaves it alone. It still ends when the person
changes their password, loses their task on the Page or removes the app, or when a permission
goes unused for 90 days; the next sync then gets error 190 and the account asks to be connected
again.

Graph errors come in Meta's envelope whatever the HTTP status (a throttle has been seen as 400),
so they are classified by their code with the adapters' reader (shared/platforms/meta.py)."""

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from shared.config import Settings
from shared.platforms import meta
from shared.platforms.base import (
    AccountRef,
    AdapterError,
    Credentials,
    NotConfigured,
    Platform,
    PlatformUnavailable,
    RateLimited,
)
from shared.platforms.http import expect, parse_json, raise_for_server_error, reading, send
from shared.platforms.oauth.base import (
    AuthorizationRefused,
    Connection,
    OAuthApp,
    TokenGrant,
    WrongAccount,
    owns,
    require_scopes,
    token_answer,
    with_query,
)

DIALOG_HOST = "https://www.facebook.com"
# The dialog speaks the same Graph version as the API calls: the one in the settings' base URL.
VERSION = re.compile(r"/(v\d+\.\d+)$")
PAGE_SIZE = 100
# A guard, not a documented limit: 1,000 Pages is far beyond anyone who connects an account.
MAX_PAGES = 10

Refusal = Callable[[str], AdapterError]


class _FacebookLogin:
    """What Instagram and Facebook Pages share: one login, one token ladder, one Pages list."""

    platform: Platform
    scopes: tuple[str, ...]
    pkce = False
    # The fields of /me/accounts each platform reads its account from.
    page_fields: str

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._graph = settings.base_url(self.platform.value)

    def authorization_url(self, app: OAuthApp, *, state: str, code_challenge: str | None) -> str:
        return with_query(
            self._dialog_url(),
            {
                "client_id": app.client_id,
                "redirect_uri": app.redirect_uri,
                "state": state,
                "response_type": "code",
                "scope": ",".join(self.scopes),
                # Without it Meta never asks again for a permission the person once declined,
                # so connecting again after a MissingScopes could not succeed.
                "auth_type": "rerequest",
            },
        )

    def _dialog_url(self) -> str:
        match = VERSION.search(httpx.URL(self._graph).path)
        version = f"/{match.group(1)}" if match else ""
        return f"{DIALOG_HOST}{version}/dialog/oauth"

    async def exchange(self, app: OAuthApp, code: str, *, code_verifier: str | None) -> TokenGrant:
        short = await self._token(
            {
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "redirect_uri": app.redirect_uri,
                "code": code,
            }
        )
        long = await self._token(
            {
                "grant_type": "fb_exchange_token",
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "fb_exchange_token": short["access_token"],
            }
        )
        token = str(long["access_token"])
        # The token answers name neither the person nor the permissions granted; /me does.
        me = await self._get("/me", {"fields": "id,permissions"}, token)
        with reading("the token's user", platform=self.platform):
            granted = tuple(
                str(item["permission"])
                for item in me["permissions"]["data"]
                if item.get("status") == "granted"
            )
            expires = long.get("expires_in")
            return TokenGrant(
                access_token=token,
                refresh_token=None,
                expires_in_s=float(expires) if expires is not None else None,
                scopes=granted,
                subject=str(me["id"]),
            )

    async def refresh(self, app: OAuthApp, credentials: Credentials) -> TokenGrant:
        """Meta has nothing to refresh with, so this asks /debug_token whether the stored token
        still stands. A Page token that never expires comes back as it is; one that works but
        will expire cannot be extended without the person, and neither can a dead one: both
        are refused, so the account asks to be connected again."""
        if not credentials.access_token:
            raise AuthorizationRefused(f"{self.platform}: no token stored", platform=self.platform)
        body = await self._get(
            "/debug_token",
            {"input_token": credentials.access_token},
            f"{app.client_id}|{app.client_secret}",
            # An error here is about Sway's app token, not the person's: no connection ends.
            refused=lambda message: NotConfigured(message, platform=self.platform),
        )
        with reading("debug_token", platform=self.platform):
            data = body["data"]
            expires_at = int(data.get("expires_at") or 0)
            scopes = tuple(str(scope) for scope in data.get("scopes") or ())
        if data.get("is_valid") is not True:
            reason = (data.get("error") or {}).get("message") or "the token is no longer valid"
            raise AuthorizationRefused(f"{self.platform}: {reason}", platform=self.platform)
        if expires_at:
            until = datetime.fromtimestamp(expires_at, UTC).isoformat()
            raise AuthorizationRefused(
                f"{self.platform}: the token expires at {until} and Meta cannot extend it "
                "without the person; connect the account again",
                platform=self.platform,
            )
        return TokenGrant(credentials.access_token, None, None, scopes, credentials.subject)

    async def connect(self, app: OAuthApp, grant: TokenGrant, account: AccountRef) -> Connection:
        require_scopes(grant, self.scopes, platform=self.platform)
        page, external_id, handle = self.match(await self._pages(grant.access_token), account)
        page_token = page.get("access_token")
        if not page_token:
            raise AuthorizationRefused(
                f"{self.platform}: Meta gave no Page token for Page {page.get('id')}; the person "
                "needs a task on the Page (at least Analyze) to connect it",
                platform=self.platform,
            )
        # The budget follows the person who granted it, so it survives connecting again.
        credentials = Credentials(access_token=str(page_token), subject=grant.subject)
        return Connection(credentials, external_id, handle, None, grant.scopes)

    def match(
        self, pages: list[dict[str, Any]], account: AccountRef
    ) -> tuple[dict[str, Any], str, str | None]:
        """The Page `account` is reached through, with the account's id and handle."""
        raise NotImplementedError

    async def _pages(self, token: str) -> list[dict[str, Any]]:
        """Every Page the person has a task on, as /me/accounts lists them."""
        pages: list[dict[str, Any]] = []
        params: dict[str, str] = {"fields": self.page_fields, "limit": str(PAGE_SIZE)}
        for _ in range(MAX_PAGES):
            body = await self._get("/me/accounts", params, token)
            with reading("the person's Pages", platform=self.platform):
                pages.extend(body["data"])
                paging = body.get("paging") or {}
                after = (paging.get("cursors") or {}).get("after")
            if not (paging.get("next") and after):
                break
            params = {**params, "after": str(after)}
        return pages

    async def _token(self, params: Mapping[str, str]) -> dict[str, Any]:
        # Meta documents these exchanges as GETs; the secret rides in the query, which `send`
        # never puts into an error message.
        url = f"{self._graph}/oauth/access_token"
        response = await send(self._client, "GET", url, platform=self.platform, params=params)
        body = self._answer(response, self._refused)
        expect("access_token" in body, "token answer without access_token", platform=self.platform)
        return body

    async def _get(
        self,
        path: str,
        params: Mapping[str, str],
        token: str,
        *,
        refused: Refusal | None = None,
    ) -> dict[str, Any]:
        url = f"{self._graph}{path}"
        query = {**params, "access_token": token}
        response = await send(self._client, "GET", url, platform=self.platform, params=query)
        return self._answer(response, refused or self._refused)

    def _answer(self, response: httpx.Response, refused: Refusal) -> dict[str, Any]:
        if response.status_code == 429:
            token_answer(response, platform=self.platform)  # raises RateLimited
        raise_for_server_error(response, platform=self.platform)
        body = parse_json(response, platform=self.platform)
        error = meta.parse_error(body, response.status_code)
        if error is not None:
            raised = meta.exception_for(error, response.headers, platform=self.platform)
            if isinstance(raised, RateLimited | PlatformUnavailable):
                raise raised
            # An expired or used code, a dead token, a permission missing: none of them is
            # fixed by trying again.
            raise refused(error.describe(self.platform))
        expect(
            response.status_code < 400 and isinstance(body, dict),
            f"HTTP {response.status_code} without an error envelope",
            platform=self.platform,
        )
        return body

    def _refused(self, message: str) -> AdapterError:
        return AuthorizationRefused(message, platform=self.platform)

    def _no_match(self, account: AccountRef, found: list[str], what: str) -> WrongAccount:
        ours = f"id {account.external_id}" if account.external_id else f"@{account.handle}"
        theirs = ", ".join(found) if found else f"no {what}"
        return WrongAccount(
            f"{self.platform}: the authorization opens {theirs}, not {ours}; sign in as a person "
            f"with a task on {ours}'s Page and connect again",
            platform=self.platform,
        )


class InstagramOAuth(_FacebookLogin):
    """An Instagram professional account is reached through the Facebook Page linked to it."""

    platform = Platform.instagram
    # instagram_basic: the account, its media and stories; instagram_manage_insights: media,
    # story and account insights, follower demographics; pages_show_list: the Pages, to find the
    # one linked to the account; pages_read_engagement: its Page token and what it reads.
    scopes = (
        "instagram_basic",
        "instagram_manage_insights",
        "pages_show_list",
        "pages_read_engagement",
    )
    page_fields = "id,name,access_token,instagram_business_account{id,username}"

    def match(
        self, pages: list[dict[str, Any]], account: AccountRef
    ) -> tuple[dict[str, Any], str, str | None]:
        found = []
        with reading("the person's Pages", platform=self.platform):
            for page in pages:
                linked = page.get("instagram_business_account")
                if not linked:
                    continue
                ig_id, username = str(linked["id"]), linked.get("username")
                if owns(account, external_id=ig_id, handle=username):
                    return page, ig_id, username
                found.append(f"@{username}" if username else f"id {ig_id}")
        raise self._no_match(account, found, "Instagram professional account")


class FacebookOAuth(_FacebookLogin):
    platform = Platform.facebook
    # pages_show_list: the Pages and their tokens; pages_read_engagement: the Page, its posts,
    # reactions and comments; read_insights: the posts' reach, views and clicks.
    scopes = ("pages_show_list", "pages_read_engagement", "read_insights")
    page_fields = "id,name,username,access_token"

    def match(
        self, pages: list[dict[str, Any]], account: AccountRef
    ) -> tuple[dict[str, Any], str, str | None]:
        found = []
        with reading("the person's Pages", platform=self.platform):
            for page in pages:
                page_id, username = str(page["id"]), page.get("username")
                # A Page without a username is often tracked by its id in the handle.
                by_id = not account.external_id and account.handle == page_id
                if by_id or owns(account, external_id=page_id, handle=username):
                    return page, page_id, username
                found.append(f"@{username}" if username else f"Page {page_id}")
        raise self._no_match(account, found, "Facebook Page")
