"""LinkedIn organization pages through 3-legged OAuth (docs/connecting.md, "LinkedIn").

Access tokens last 60 days. Apps LinkedIn approved for programmatic refresh tokens also get a
refresh token that lasts 365 days from the first authorization: a refresh answers a new access
token and the same refresh token with what is left of its life, so after a year the person must
connect again. Apps without that approval get no refresh token, and their connections end with
their access token.

The account is an organization; the person connecting must administer it, which the versioned
organizationAcls finder tells (with the adapter's LinkedIn-Version header)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from shared.config import Settings
from shared.platforms.base import (
    AccountRef,
    AdapterError,
    Credentials,
    NotConfigured,
    Platform,
    RateLimited,
)
from shared.platforms.http import (
    expect,
    parse_json,
    raise_for_server_error,
    reading,
    seconds_until,
    send,
)
from shared.platforms.linkedin import org_urn
from shared.platforms.oauth.base import (
    AuthorizationRefused,
    Connection,
    MissingScopes,
    OAuthApp,
    TokenGrant,
    WrongAccount,
    post_token,
    read_grant,
    require_scopes,
    with_query,
)

PLATFORM = Platform.linkedin
OAUTH_URL = "https://www.linkedin.com/oauth/v2"
# rw_organization_admin: the organization's share statistics and follower count, and the
# member's organization roles (LinkedIn offers the statistics to administrators only);
# r_organization_social: the organization's posts.
SCOPES = ("r_organization_social", "rw_organization_admin")
ACL_PAGE = 100
# A guard, not a documented limit: 1,000 organizations is far beyond any member.
MAX_PAGES = 10


class LinkedInOAuth:
    platform = PLATFORM
    scopes = SCOPES
    # LinkedIn takes PKCE only from native apps on a loopback redirect, enabled on request.
    pkce = False

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._client = client
        self._api = settings.base_url("linkedin")
        self._version = settings.linkedin_version
        self._now = clock or (lambda: datetime.now(UTC))

    def authorization_url(self, app: OAuthApp, *, state: str, code_challenge: str | None) -> str:
        return with_query(
            f"{OAUTH_URL}/authorization",
            {
                "response_type": "code",
                "client_id": app.client_id,
                "redirect_uri": app.redirect_uri,
                "state": state,
                "scope": " ".join(SCOPES),
            },
        )

    async def exchange(self, app: OAuthApp, code: str, *, code_verifier: str | None) -> TokenGrant:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "redirect_uri": app.redirect_uri,
        }
        return await self._token(data)

    async def refresh(self, app: OAuthApp, credentials: Credentials) -> TokenGrant:
        if not credentials.refresh_token:
            raise AuthorizationRefused(
                "linkedin: no refresh token (LinkedIn gives them to approved apps only); "
                "connect the account again",
                platform=PLATFORM,
            )
        data = {
            "grant_type": "refresh_token",
            "refresh_token": credentials.refresh_token,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        }
        return await self._token(data)

    async def _token(self, data: dict[str, str]) -> TokenGrant:
        # An expired, revoked or spent refresh token answers 400 invalid_request, which
        # post_token already reads as a refusal for good.
        url = f"{OAUTH_URL}/accessToken"
        body = await post_token(self._client, url, platform=PLATFORM, data=data)
        # The documentation says space-delimited; answers and LinkedIn's own client use commas.
        scope = str(body.get("scope") or "").replace(",", " ")
        return read_grant({**body, "scope": scope}, platform=PLATFORM)

    async def connect(self, app: OAuthApp, grant: TokenGrant, account: AccountRef) -> Connection:
        require_scopes(grant, SCOPES, platform=PLATFORM)
        organization, vanity = await self._organization(account, grant.access_token)
        member = await self._administrator(organization, grant.access_token)
        credentials = Credentials(
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            # The adapter scopes share statistics to this organization.
            extra={"organization_urn": organization},
            subject=member,
        )
        return Connection(credentials, organization, vanity, grant.expires_in_s, grant.scopes)

    async def _organization(self, account: AccountRef, token: str) -> tuple[str, str | None]:
        """The account's organization URN, and its vanity name where that had to be looked up:
        an account added from a /company/<name> link knows only the name."""
        try:
            return org_urn(account.external_id or account.handle), None
        except AdapterError:
            pass
        vanity = account.handle.strip().strip("/")
        url = f"{self._api}/organizations?q=vanityName&vanityName={quote(vanity, safe='')}"
        body = await self._get(url, token)
        with reading("organizations by vanity name", platform=PLATFORM):
            elements = body["elements"]
            if elements:
                return org_urn(str(elements[0]["id"])), elements[0].get("vanityName") or vanity
        raise WrongAccount(
            f"linkedin: no organization page is named {vanity!r}; give the account its "
            "organization id (the number in its admin URL) and connect again",
            platform=PLATFORM,
        )

    async def _administrator(self, organization: str, token: str) -> str:
        """The member's URN, if they administer `organization`; WrongAccount otherwise."""
        found: list[str] = []
        start = 0
        for _ in range(MAX_PAGES):
            url = (
                f"{self._api}/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED"
                f"&start={start}&count={ACL_PAGE}"
            )
            body = await self._get(url, token)
            with reading("organizationAcls", platform=PLATFORM):
                elements = body["elements"]
                for acl in elements:
                    if acl["organization"] == organization:
                        return str(acl["roleAssignee"])
                    found.append(str(acl["organization"]))
            if len(elements) < ACL_PAGE:
                break
            start += len(elements)
        theirs = ", ".join(found) if found else "no organization"
        raise WrongAccount(
            f"linkedin: the member who authorized administers {theirs}, not {organization}; "
            "an administrator of the page must connect it",
            platform=PLATFORM,
        )

    async def _get(self, url: str, token: str) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {token}",
            "LinkedIn-Version": self._version,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        response = await send(self._client, "GET", url, platform=PLATFORM, headers=headers)
        self._raise_for_error(response)
        body = parse_json(response, platform=PLATFORM)
        expect(isinstance(body, dict), "body is not a JSON object", platform=PLATFORM)
        return body

    def _raise_for_error(self, response: httpx.Response) -> None:
        raise_for_server_error(response, platform=PLATFORM)
        status = response.status_code
        if status < 400:
            return
        message = _describe(response)
        if status == 429:
            raise RateLimited(message, retry_after_s=self._until_reset(), platform=PLATFORM)
        if status == 401:
            raise AuthorizationRefused(message, platform=PLATFORM)
        if status == 403:
            # The token lacks a scope, or the app the product that grants it.
            raise MissingScopes(message, platform=PLATFORM)
        if status == 426:
            raise NotConfigured(
                f"linkedin: LinkedIn-Version {self._version} is no longer served; set "
                f"SWAY_LINKEDIN_VERSION to a current version ({message})",
                platform=PLATFORM,
            )
        raise AdapterError(message, platform=PLATFORM)

    def _until_reset(self) -> float:
        # LinkedIn sends no rate-limit headers; its daily limits reset at midnight UTC.
        now = self._now().astimezone(UTC)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        return seconds_until(midnight.timestamp(), now=now)


def _describe(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    return (
        f"linkedin: HTTP {response.status_code} {body.get('code') or ''} "
        f"(serviceErrorCode {body.get('serviceErrorCode')}): {body.get('message', '')}"
    )
