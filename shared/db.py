"""Declarative base, engine/session factories and the worker's unit of work."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, ForeignKeyConstraint, MetaData, func
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from uuid_utils.compat import uuid7

from shared.distribution import DISTRIBUTION_COLUMN, REFERENCE_TABLES

if TYPE_CHECKING:
    import asyncpg
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
    # Fetch server-generated values with RETURNING on insert and update (TimestampMixin).
    _eager_defaults = False

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # A distributed table's key ends with org_id (OrgMixin), but a row is still known by
        # the rest of it, so session.get(Model, id) and relationships keep their one-column
        # identity: ids are UUIDv7, unique by themselves.
        key = list(cls.__table__.primary_key.columns)
        own = [column for column in key if column.name != DISTRIBUTION_COLUMN]
        return {"primary_key": own or key, "eager_defaults": cls._eager_defaults}


def new_id() -> UUID:
    """Time-ordered ids (UUIDv7): index-friendly and sortable by creation."""
    return uuid7()


class IdMixin:
    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    # Fetch server-generated timestamps with RETURNING on insert and update, so responses can
    # read them without another round trip (lazy loads are not possible under asyncio).
    _eager_defaults = True

    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class OrgMixin:
    """Every customer row carries its organization: the repository layer filters on it.

    Not indexed on its own: each table's queries go through a composite index that leads with
    org_id, or through a parent id, and a lone org_id index would only cost every write.

    Part of the primary key of every table but the reference tables (shared/distribution.py),
    after the table's own key columns: Citus distributes by org_id and needs it in every unique
    key, and lookups by id alone (jobs, joins) still lead the index."""

    @declared_attr
    def org_id(cls) -> Mapped[UUID]:
        return mapped_column(
            ForeignKey("organization.id", ondelete="CASCADE"),
            primary_key=cls.__tablename__ not in REFERENCE_TABLES,
        )


def org_foreign_key(column: str, table: str, *, ondelete: str) -> ForeignKeyConstraint:
    """`(column, org_id) REFERENCES table (id, org_id)`: the row referenced is of the same
    organization, and on Citus it lives in the same shard. SET NULL clears `column` only, never
    org_id (the column list form of Postgres 15)."""
    if ondelete == "SET NULL":
        ondelete = f"SET NULL ({column})"
    return ForeignKeyConstraint(
        [column, DISTRIBUTION_COLUMN],
        [f"{table}.id", f"{table}.{DISTRIBUTION_COLUMN}"],
        ondelete=ondelete,
    )


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


class RawReads:
    """Queries straight on asyncpg, for the API's hottest paths, where the ORM's per-query
    machinery would cost more than the query itself: reads, and the two unauthenticated writes
    that are one statement each (a click, an inbound webhook's inbox row), atomic by themselves
    outside any transaction. Repositories still own the SQL and still filter by organization;
    this only skips the session.

    Backed by a pool in the API, or by one connection in tests (inside the test's transaction)."""

    def __init__(
        self, pool: "asyncpg.Pool | None" = None, connection: "asyncpg.Connection | None" = None
    ) -> None:
        self._pool = pool
        self._connection = connection

    async def fetchrow(self, query: str, *args: Any) -> "asyncpg.Record | None":
        if self._connection is not None:
            return await self._connection.fetchrow(query, *args)
        assert self._pool is not None
        async with self._pool.acquire() as connection:
            return await connection.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        if self._connection is not None:
            return await self._connection.fetchval(query, *args)
        assert self._pool is not None
        async with self._pool.acquire() as connection:
            return await connection.fetchval(query, *args)

    async def fetch(self, query: str, *args: Any) -> "list[asyncpg.Record]":
        if self._connection is not None:
            return await self._connection.fetch(query, *args)
        assert self._pool is not None
        async with self._pool.acquire() as connection:
            return await connection.fetch(query, *args)


async def reads_in(session: AsyncSession) -> RawReads:
    """Raw reads on the session's own connection, inside its transaction: for the worker and
    the API's streamed reports, which hold a session, to share the hot reads' SQL. The session
    is flushed first, so the raw reads see what it has changed."""
    await session.flush()
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return RawReads(connection=raw.driver_connection)


async def create_reads_pool(url: str, *, max_size: int) -> "asyncpg.Pool":
    import asyncpg

    async def decode_json(connection: "asyncpg.Connection") -> None:
        # JSON arrives decoded, as it does through SQLAlchemy's own asyncpg connections.
        await connection.set_type_codec(
            "json", schema="pg_catalog", encoder=json.dumps, decoder=json.loads
        )

    async def keep_session(connection: "asyncpg.Connection") -> None:
        # Instead of asyncpg's reset query at each release (a round trip per hot statement):
        # RawReads' single statements leave no session state (no SET, LISTEN, cursor or
        # advisory lock). asyncpg still rolls back a transaction left open before calling this.
        return None

    return await asyncpg.create_pool(
        asyncpg_dsn(url), min_size=2, max_size=max_size, init=decode_json, reset=keep_session
    )


def asyncpg_dsn(url: str) -> str:
    """The plain postgresql:// form asyncpg takes, from a SQLAlchemy URL."""
    from sqlalchemy import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
