"""Audience demographics, read with a connected account's sync at most once per
SWAY_AUDIENCE_EVERY_S (docs/ingestion.md, "Audience demographics"). Whatever happens here never
fails the sync: a failure is recorded on the account's audience (GET /v1/accounts/{id}/audience
says why) and tried again a period later."""

from datetime import UTC, datetime
from uuid import UUID

import structlog

from services.worker.context import WorkerContext
from shared.db import unit_of_work
from shared.domain.account.sync import SyncTarget
from shared.domain.audience import service as audience_service
from shared.platforms.audience import AudienceSource, get_audience_source
from shared.platforms.base import RateLimited

log = structlog.get_logger()


def _source(ctx: WorkerContext, platform: str) -> AudienceSource | None:
    adapter = ctx["adapters"].get(platform)
    if isinstance(adapter, AudienceSource):
        return adapter
    http = ctx.get("http")
    return get_audience_source(platform, http, ctx["settings"]) if http is not None else None


async def collect(ctx: WorkerContext, org: UUID, target: SyncTarget) -> str | None:
    """The audience of a just-synced account, when it is connected, its platform reports one
    and it is due; None when nothing was asked."""
    credentials = target.credentials
    if credentials is None or not credentials.access_token:
        return None
    source = _source(ctx, target.ref.platform)
    if source is None:
        return None
    try:
        return await _collect(ctx, org, target, source)
    except Exception:
        log.exception("audience collection failed", account_id=str(target.account_id))
        return "failed"


async def _collect(ctx: WorkerContext, org: UUID, target: SyncTarget, source) -> str | None:
    now = datetime.now(UTC)
    account_id, settings = target.account_id, ctx["settings"]
    async with unit_of_work(ctx["sessionmaker"]) as session:
        if not await audience_service.due(session, org, account_id, now=now, settings=settings):
            return None
    bucket = target.credential_key or "app"
    platform = source.source_platform
    error = None
    if wait := await ctx["budget"].take(platform, bucket, source.audience_cost()):
        error = f"the {platform} request budget was spent (free in {round(wait)} s)"
    else:
        try:
            breakdowns = await source.fetch_audience(target.ref, target.credentials)
        except Exception as exc:
            if isinstance(exc, RateLimited):
                await ctx["budget"].pause(platform, bucket, exc.retry_after_s)
            error = f"{type(exc).__name__}: {exc}"
    if error is not None:
        async with unit_of_work(ctx["sessionmaker"]) as session:
            await audience_service.record_failure(session, org, account_id, error, now=now)
        log.warning("audience not read", account_id=str(account_id), error=error)
        return "error"
    async with unit_of_work(ctx["sessionmaker"]) as session:
        await audience_service.record(session, org, account_id, breakdowns, now=now)
    return "collected"
