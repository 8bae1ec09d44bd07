"""The worker's process-wide resources, built once on startup and closed on shutdown."""

from typing import Any, TypedDict

import httpx
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.worker.batch_writer import BatchWriter
from shared.budget import Budget
from shared.config import Settings, get_settings
from shared.db import create_engine, create_sessionmaker
from shared.logging import configure_logging
from shared.platforms import get_adapter
from shared.platforms.base import Platform, PlatformAdapter


class WorkerContext(TypedDict, total=False):
    redis: ArqRedis  # set by arq
    job_try: int  # set by arq per job
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    adapters: dict[Platform, PlatformAdapter]
    budget: Budget
    batch_writer: BatchWriter  # made on first use (BatchWriter.of)


def build_adapters(http: httpx.AsyncClient, settings: Settings) -> dict[Platform, PlatformAdapter]:
    return {platform: get_adapter(platform, http, settings) for platform in Platform}


def create_worker_engine(settings: Settings) -> AsyncEngine:
    """A connection per job slot, so jobs never queue for one; no pre-ping round trip on every
    checkout, because a job that meets a dropped connection fails and is retried anyway."""
    return create_engine(
        settings.database_url,
        pool_size=settings.worker_max_jobs,
        max_overflow=5,
        pool_pre_ping=False,
    )


async def startup(ctx: dict[str, Any]) -> None:
    settings = ctx.get("settings") or get_settings()
    configure_logging(settings)
    if not settings.database_url:
        raise RuntimeError("SWAY_DATABASE_URL must be set (`sway run` sets it for you)")
    ctx["settings"] = settings
    ctx["engine"] = create_worker_engine(settings)
    ctx["sessionmaker"] = create_sessionmaker(ctx["engine"])
    ctx["http"] = httpx.AsyncClient(
        timeout=settings.platform_timeout_s,
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        headers={"User-Agent": "Sway/0.1 (+self-hosted influencer analytics)"},
    )
    ctx["adapters"] = build_adapters(ctx["http"], settings)
    ctx["budget"] = Budget(ctx["redis"], settings)


async def shutdown(ctx: dict[str, Any]) -> None:
    if "batch_writer" in ctx:
        await ctx["batch_writer"].close()
    if "http" in ctx:
        await ctx["http"].aclose()
    if "engine" in ctx:
        await ctx["engine"].dispose()
