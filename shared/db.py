"""Declarative base, engine/session factories and the worker's unit of work."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, MetaData, func
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from uuid_utils.compat import uuid7

if TYPE_CHECKING:
    from arq.connections import ArqRedis

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


def new_id() -> UUID:
    """Time-ordered ids (UUIDv7): index-friendly and sortable by creation."""
    return uuid7()


class IdMixin:
    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    # Fetch server-generated timestamps with RETURNING on insert and update, so responses can
    # read them without another round trip (lazy loads are not possible under asyncio).
    __mapper_args__ = {"eager_defaults": True}

    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class OrgMixin:
    """Every customer row carries its organization: the repository layer filters on it.

    Not indexed on its own: each table's queries go through a composite index that leads with
    org_id, or through a parent id, and a lone org_id index would only cost every write."""

    @declared_attr
    def org_id(cls) -> Mapped[UUID]:
        return mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))


def create_engine(url: str, **kwargs) -> AsyncEngine:
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession], pool: "ArqRedis | None" = None
) -> AsyncIterator[AsyncSession]:
    """One transaction per job: commit on success, roll back on error; jobs deferred inside are
    enqueued only after the commit succeeded."""
    from shared.jobs import JobQueue

    async with sessionmaker() as session:
        queue = JobQueue.attach(session)
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            queue.clear()
            raise
        if pool is not None:
            await queue.flush(pool)
