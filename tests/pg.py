"""Server-level Postgres statements for test set-up (databases come and go per run)."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from shared.db import asyncpg_dsn


async def on_server(url: str, *statements: str) -> None:
    """Run statements against the maintenance database of the server `url` points at."""
    from sqlalchemy import make_url

    admin = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    connection = await asyncpg.connect(asyncpg_dsn(admin))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def with_database(url: str, name: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def fresh_database(url: str, name: str) -> Iterator[str]:
    """An empty database `name` on the server `url` points at, made anew and dropped after."""
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    asyncio.run(on_server(url, drop, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(url, name)
    finally:
        asyncio.run(on_server(url, drop))
