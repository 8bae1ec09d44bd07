"""Postgres and Redis for CLI commands: the configured servers, or embedded ones under
`SWAY_DATA_DIR` (default `.sway/`) that keep their data between runs."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from shared.config import Settings
from shared.embedded import EmbeddedPostgres, EmbeddedRedis

DATABASE = "sway"


@dataclass(frozen=True)
class Infra:
    database_url: str
    redis_url: str | None
    embedded: tuple[str, ...]


@contextmanager
def infrastructure(settings: Settings, *, redis: bool = True) -> Iterator[Infra]:
    started: list[EmbeddedPostgres | EmbeddedRedis] = []
    data_dir = settings.data_dir.resolve()
    try:
        database_url = settings.database_url
        if database_url is None:
            postgres = EmbeddedPostgres(data_dir / "pg").start()
            started.append(postgres)
            database_url = postgres.ensure_database(DATABASE)
        redis_url = settings.redis_url
        if redis and redis_url is None:
            embedded_redis = EmbeddedRedis(data_dir / "redis", persistent=True).start()
            started.append(embedded_redis)
            redis_url = embedded_redis.url
        names = tuple(type(s).__name__.removeprefix("Embedded").lower() for s in started)
        yield Infra(database_url, redis_url, names)
    finally:
        # Redis first: it may still be flushing jobs that name rows in Postgres.
        for server in reversed(started):
            server.stop()
