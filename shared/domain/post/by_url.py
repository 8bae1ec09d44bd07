"""Tracking a post by a pasted link: which post it is and whose account it belongs to.

A short link is followed to the post (shared/platforms/links.py). A URL that names no account
(youtube.com/watch, youtu.be, /shorts/, pinterest.com/pin/) is looked up at the platform where it
can tell (shared/platforms/owners.py) and matched to the organization's accounts, by external id,
else handle. All of it reads only: the network is asked before anything is written. Every dead
end is a 422 that says what to send instead."""

import asyncio
from collections.abc import Mapping
from uuid import UUID

import httpx
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.config import Settings
from shared.crypto import CredentialsError, decrypt_credentials
from shared.domain.account import service as account_service
from shared.domain.account.repository import AccountRepository
from shared.domain.account.schemas import AccountCreate
from shared.domain.post.owner_repository import OwnerRepository
from shared.errors import Invalid
from shared.jobs import JobQueue
from shared.models import CreatorAccount
from shared.platforms import get_adapter
from shared.platforms.base import AccountRef, AdapterError, Credentials, Platform, PlatformAdapter
from shared.platforms.links import LinkResolver
from shared.platforms.owners import PostOwner, PostOwnerLookup
from shared.platforms.urls import ParsedPost, UnrecognizedURL, parse_post_url

URL_FIELD = ("body", "url")
# The organization's stored credentials tried, at most, to find a post's owner.
MAX_CREDENTIALS = 5
# The URL forms that name a post's account (YouTube and Pinterest have none: account_id +
# external_id is the only other way there; Instagram's is in `_unnamed`).
_NAMING_FORMS = {
    Platform.facebook: "facebook.com/<page>/{fb_path}/{id}/",
    Platform.tiktok: "tiktok.com/@<username>/video/{id}",
    Platform.x: "x.com/<username>/status/{id}",
}
_IG_PATHS = {"post": "p", "reel": "reel", "video": "tv"}


class PostLookups:
    """What tracking by URL may ask the network, built once per process: where short links lead
    (`links`) and who owns a post (`adapters`)."""

    def __init__(
        self,
        links: LinkResolver,
        adapters: Mapping[Platform, PlatformAdapter],
        settings: Settings,
        *,
        closing: tuple[httpx.AsyncBaseTransport, ...] = (),
    ) -> None:
        self.links = links
        self.adapters = adapters
        self.settings = settings
        self._closing = closing

    @classmethod
    def open(cls, settings: Settings, client: httpx.AsyncClient) -> "PostLookups":
        """Adapters on the process's platform client; short links on a transport of their own,
        which keeps no cookies (a client's jar would carry a short-link host's cookies on)."""
        transport = httpx.AsyncHTTPTransport()
        links = LinkResolver(
            transport,
            timeout_s=settings.link_resolve_timeout_s,
            max_hops=settings.link_resolve_max_hops,
        )
        adapters = {platform: get_adapter(platform, client, settings) for platform in Platform}
        return cls(links, adapters, settings, closing=(transport,))

    async def aclose(self) -> None:
        for resource in self._closing:
            await resource.aclose()


async def post_and_account(
    session: AsyncSession,
    org_id: UUID,
    url: str,
    *,
    lookups: PostLookups | None,
    jobs: JobQueue,
) -> tuple[ParsedPost, CreatorAccount]:
    """The post a URL names and the organization's account it belongs to. Without `lookups`
    (no network in this process) short links and URLs that name no account are refused."""
    parsed = await _parse(url, lookups)
    if parsed.handle is not None:
        handle = parsed.handle.lstrip("@")
        return parsed, await _by_handle(session, org_id, parsed.platform, handle, jobs=jobs)
    return parsed, await _by_owner(session, org_id, parsed, lookups=lookups, jobs=jobs)


async def _parse(url: str, lookups: PostLookups | None) -> ParsedPost:
    try:
        return await lookups.links.parse_post(url) if lookups else parse_post_url(url)
    except UnrecognizedURL as exc:
        raise Invalid.field(URL_FIELD, str(exc)) from exc


async def _by_handle(
    session: AsyncSession,
    org_id: UUID,
    platform: Platform,
    handle: str,
    *,
    jobs: JobQueue,
    external_id: str | None = None,
) -> CreatorAccount:
    """The organization's account with that handle, or a new one under the one creator who has
    that handle on another platform. Otherwise a 422 that says what to send instead."""
    repository = AccountRepository(session, org_id)
    account = await repository.by_handle(platform, handle)
    if account is not None:
        return account
    creator_ids = await repository.creators_with_handle(handle)
    if len(creator_ids) != 1:
        raise Invalid.field(
            URL_FIELD,
            f"no creator in this organization has the {platform} account @{handle}; add it "
            "with POST /v1/creators/{id}/accounts, or send account_id and external_id",
        )
    try:
        data = AccountCreate(platform=platform, handle=handle, external_id=external_id)
    except ValidationError as exc:  # a URL can carry what no handle on the platform can be
        reason = "; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())
        raise Invalid.field(URL_FIELD, f"this URL names no valid handle: {reason}") from exc
    return await account_service.create(session, org_id, creator_ids[0], data, jobs=jobs)


async def _by_owner(
    session: AsyncSession,
    org_id: UUID,
    parsed: ParsedPost,
    *,
    lookups: PostLookups | None,
    jobs: JobQueue,
) -> CreatorAccount:
    adapter = lookups.adapters.get(parsed.platform) if lookups else None
    if lookups is None or adapter is None or not isinstance(adapter, PostOwnerLookup):
        raise Invalid.field(URL_FIELD, _unnamed(parsed, f"{parsed.platform} cannot tell"))
    search = _OwnerSearch(session, org_id, parsed, adapter, adapter, lookups.settings)
    try:
        found = await search.run()
        if found is None:
            raise Invalid.field(URL_FIELD, _unnamed(parsed, search.why_not()))
        account, owner = found
        return account or await _unmatched(session, org_id, parsed, owner, search, jobs)
    except TimeoutError:
        why = f"{parsed.platform} did not answer within {search.timeout_s:g} s"
        raise Invalid.field(URL_FIELD, _unnamed(parsed, why)) from None


class _OwnerSearch:
    """Ask the platform who owns the post: with Sway's own app credential first (YouTube's API
    key), then each stored credential of the organization's accounts on that platform."""

    def __init__(
        self,
        session: AsyncSession,
        org_id: UUID,
        parsed: ParsedPost,
        adapter: PlatformAdapter,
        lookup: PostOwnerLookup,
        settings: Settings,
    ) -> None:
        self.repository = OwnerRepository(session, org_id)
        self.accounts = AccountRepository(session, org_id)
        self.parsed, self.adapter, self.lookup, self.settings = parsed, adapter, lookup, settings
        self.app_refusal: str | None = None  # why Sway's own app credential could not ask
        self.refusals: list[str] = []  # why the organization's credentials could not
        self.unseen = 0  # answers that the credential sees no such post
        self.creds: Credentials | None = None
        # One deadline for every platform call of the search; database reads are not under it,
        # so a cancelled query never leaves the session in doubt.
        self.timeout_s = settings.link_resolve_timeout_s
        self.deadline = asyncio.get_running_loop().time() + self.timeout_s

    async def run(self) -> tuple[CreatorAccount | None, PostOwner] | None:
        if (owner := await self._ask(None)) is not None:
            return await self._match(owner, None), owner
        accounts = await self.repository.with_credentials(self.parsed.platform, MAX_CREDENTIALS)
        for account in accounts:
            creds = self._decrypt(account)
            if creds is not None and (owner := await self._ask(creds)) is not None:
                return await self._match(owner, account), owner
        return None

    async def _ask(self, creds: Credentials | None) -> PostOwner | None:
        try:
            async with asyncio.timeout_at(self.deadline):
                owner = await self.lookup.post_owner(self.parsed.external_id, creds)
        except AdapterError as exc:
            if creds is None:
                self.app_refusal = str(exc)
            else:
                self.refusals.append(str(exc))
            return None
        self.creds = creds
        self.unseen += owner is None
        return owner

    async def _match(
        self, owner: PostOwner, asked_with: CreatorAccount | None
    ) -> CreatorAccount | None:
        if owner.credential_owner and asked_with is not None:
            return asked_with
        platform = self.parsed.platform
        if owner.external_id:
            account = await self.repository.by_external_id(platform, owner.external_id)
            if account is not None:
                return account
        if owner.handle:
            return await self.accounts.by_handle(platform, owner.handle.lstrip("@"))
        return None

    def _decrypt(self, account: CreatorAccount) -> Credentials | None:
        try:
            key = self.settings.secret_key.get_secret_value()
            return decrypt_credentials(account.credentials_encrypted, key)
        except CredentialsError:
            return None

    def why_not(self) -> str:
        platform, post_id = self.parsed.platform, self.parsed.external_id
        if self.unseen and platform == Platform.pinterest:
            return (
                f"none of this organization's connected Pinterest accounts owns pin {post_id} "
                "(Pinterest shows a token only its own account's Pins)"
            )
        if self.unseen:
            return f"{platform} has no public post {post_id} (private, deleted or mistyped)"
        if self.refusals:
            return f"{platform} could not be asked ({self.refusals[-1]})"
        return (
            f"no account of this organization holds {platform} credentials, and Sway's own "
            f"could not ask ({self.app_refusal})"
        )


async def _unmatched(
    session: AsyncSession,
    org_id: UUID,
    parsed: ParsedPost,
    owner: PostOwner,
    search: _OwnerSearch,
    jobs: JobQueue,
) -> CreatorAccount:
    """The platform named an owner the organization has no account for by that id: learn its
    handle (one more call) and place it like a URL that names that handle."""
    handle = owner.handle or await _handle_of(search, owner)
    if handle:
        try:
            return await _by_handle(
                session,
                org_id,
                parsed.platform,
                handle.lstrip("@"),
                jobs=jobs,
                external_id=owner.external_id,
            )
        except Invalid:
            pass  # no creator with that handle either: say whose post it is
    who = owner.external_id or f"@{handle}"
    named = f" ({owner.display_name})" if owner.display_name else ""
    raise Invalid.field(
        URL_FIELD,
        f"this {parsed.platform} post belongs to {who}{named}, which is no account of a creator "
        f"in this organization; add it with POST /v1/creators/{{id}}/accounts"
        f"{f' (external_id {owner.external_id})' if owner.external_id else ''}, then send the URL "
        "again",
    )


async def _handle_of(search: _OwnerSearch, owner: PostOwner) -> str | None:
    if not owner.external_id:
        return None
    ref = AccountRef(search.parsed.platform, "", owner.external_id)
    try:
        async with asyncio.timeout_at(search.deadline):
            return (await search.adapter.fetch_account(ref, search.creds)).handle
    except AdapterError:
        return None


def _unnamed(parsed: ParsedPost, why: str) -> str:
    """What to send instead, for a URL that does not say whose post it is."""
    platform, post_id = parsed.platform, parsed.external_id
    send = f'send {{"account_id": <the {platform} account\'s id>, "external_id": "{post_id}"}}'
    if platform == Platform.instagram:
        # A shortcode is no Graph API id, so account_id + external_id cannot name it either.
        path = _IG_PATHS.get(parsed.kind or "", "p")
        named = f"instagram.com/<username>/{path}/{post_id}/"
        return (
            f"this instagram link does not say whose post it is, and {why}; paste the link as "
            f"{named} (the author's username before /{path}/)"
        )
    form = _NAMING_FORMS.get(platform)
    if form is not None:
        fb_path = "videos" if parsed.kind in ("video", "reel", "live") else "posts"
        send = f"paste the link as {form.format(fb_path=fb_path, id=post_id)}, or {send}"
    return f"this {platform} link does not say whose post it is, and {why}; {send}"
