"""The only place FastAPI dependencies are wired. Routers import the Annotated aliases below.

Every dependency is `async def`, even those that never await: FastAPI runs a plain `def`
dependency in the thread pool, a thread hop per dependency per request for no benefit here."""

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated
from uuid import UUID

import httpx
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.api import ratelimit
from services.api.middleware import IDEMPOTENCY
from shared.config import Settings
from shared.db import RawReads, unit_of_work
from shared.domain.organization import service as organization_service
from shared.domain.organization.schemas import Principal, Scope
from shared.domain.post.by_url import PostLookups
from shared.errors import Forbidden, NotFound, Unauthorized
from shared.jobs import JobQueue


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The API's one commit site: commit after the endpoint returns (before the response is
    sent), roll back on any error, and enqueue deferred jobs only once the commit succeeded."""
    async with request.app.state.sessionmaker() as session:
        queue = JobQueue.attach(session)
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            queue.clear()
            raise
        await queue.flush(request.app.state.redis)


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """For endpoints that only read: autocommit, so each query is one round trip with no
    BEGIN/COMMIT around it, and nothing to commit or roll back."""
    async with request.app.state.read_sessionmaker() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]


async def get_reads(request: Request) -> RawReads:
    return request.app.state.reads


ReadsDep = Annotated[RawReads, Depends(get_reads)]


async def get_jobs(session: SessionDep) -> JobQueue:
    return JobQueue.of(session)


JobsDep = Annotated[JobQueue, Depends(get_jobs)]


async def get_http(request: Request) -> httpx.AsyncClient:
    return request.app.state.http


HttpDep = Annotated[httpx.AsyncClient, Depends(get_http)]


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_post_lookups(request: Request) -> PostLookups | None:
    # None where no lifespan built them (the test app unless a test sets them): links are then
    # parsed offline, and short links and URLs that name no account are refused.
    return getattr(request.app.state, "post_lookups", None)


PostLookupsDep = Annotated[PostLookups | None, Depends(get_post_lookups)]


async def get_auth_cache(request: Request) -> ratelimit.AuthCache:
    return request.app.state.auth_cache


AuthCacheDep = Annotated[ratelimit.AuthCache, Depends(get_auth_cache)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def client_address(request: Request) -> str:
    # The peer uvicorn reports: behind a proxy, the proxy's own address unless uvicorn is told to
    # trust its X-Forwarded-For (`--forwarded-allow-ips`).
    return request.client.host if request.client else "unknown"


async def get_principal(request: Request) -> Principal:
    """Who is calling, in one Redis round trip when the key was seen in the last minute; the
    request is counted against the key's budget in the same trip. An unknown or revoked key is
    401, or 429 once its address failed too often this minute."""
    secret = _bearer(request)
    if secret is None:
        raise Unauthorized("missing API key: send `Authorization: Bearer <key>`")
    key_hash = organization_service.hash_key(secret)
    cache: ratelimit.AuthCache = request.app.state.auth_cache
    settings: Settings = request.app.state.settings
    found = await cache.lookup_and_count(key_hash, client_address(request))
    if found.denied:
        ratelimit.check_failures(
            found.failures, settings.api_failed_auth_limit_per_minute, found.retry_after_s
        )
        raise Unauthorized("invalid or revoked API key")
    principal = found.principal or await _load_key(request, key_hash, secret, found)
    ratelimit.check_budget(found.count, settings.api_rate_limit_per_minute, found.retry_after_s)
    return principal


async def _load_key(
    request: Request, key_hash: str, secret: str, found: ratelimit.Lookup
) -> Principal:
    """A cache miss: ask Postgres, then cache the principal, or mark the hash unknown."""
    cache: ratelimit.AuthCache = request.app.state.auth_cache
    settings: Settings = request.app.state.settings
    started = time.monotonic()
    try:
        async with unit_of_work(request.app.state.sessionmaker) as session:
            principal = await organization_service.authenticate(session, secret)
    except Unauthorized:
        failures = await cache.deny_unknown(
            key_hash, client_address(request), settings.api_unknown_key_cache_s
        )
        limit = settings.api_failed_auth_limit_per_minute
        ratelimit.check_failures(failures, limit, found.retry_after_s)
        raise
    # A revocation's denied mark outlives any lookup shorter than this by far; a lookup stalled
    # longer simply does not cache.
    if time.monotonic() - started < ratelimit.CACHE_TTL_S:
        await cache.remember(key_hash, principal)
    return principal


def require(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    # One dependency, not one per step: FastAPI's cost per dependency is paid on every request.
    async def check(request: Request) -> Principal:
        principal = await get_principal(request)
        if not principal.allows(scope):
            raise Forbidden(f"this API key lacks the `{scope}` scope")
        # Only now may an idempotent POST be claimed or replayed: the caller may make it.
        idempotent = request.scope.get("state", {}).get(IDEMPOTENCY)
        if idempotent is not None:
            await idempotent.claim(principal.key_id)
        return principal

    return check


Reader = Annotated[Principal, Depends(require(Scope.read))]
Writer = Annotated[Principal, Depends(require(Scope.write))]
Admin = Annotated[Principal, Depends(require(Scope.admin))]


def parse_id(value: str, what: str) -> UUID:
    """A malformed id is just an id that does not exist: 404, same as a foreign one."""
    try:
        return UUID(value)
    except ValueError as exc:
        raise NotFound(f"{what} {value} not found") from exc


def _id_of(what: str) -> Callable[[str], Awaitable[UUID]]:
    async def load(id: str) -> UUID:
        return parse_id(id, what)

    return load


CreatorId = Annotated[UUID, Depends(_id_of("creator"))]
AccountId = Annotated[UUID, Depends(_id_of("account"))]
CampaignId = Annotated[UUID, Depends(_id_of("campaign"))]
ApiKeyId = Annotated[UUID, Depends(_id_of("API key"))]
PostId = Annotated[UUID, Depends(_id_of("post"))]
