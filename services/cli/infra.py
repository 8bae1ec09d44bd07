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
    # The embedded servers started for this command: `sway run` watches them and restarts them.
    embedded_servers: tuple[EmbeddedPostgres | EmbeddedRedis, ...] = ()

    @property
    def embedded(self) -> tuple[str, ...]:
        return tuple(server.name for server in self.embedded_servers)


@contextmanager
def infrastructure(settings: Settings, *, redis: bool = True) -> Iterator[Infra]:
    started: list[EmbeddedPostgres | EmbeddedRedis] = []
    data_dir = settings.data_dir.resolve()
    try:
        database_url = settings.database_url
        if database_url is None:
            postgres = EmbeddedPostgres(data_dir / "pg")
            started.append(postgres)  # before start(): an interrupted start is still stopped
            database_url = postgres.start().ensure_database(DATABASE)
        redis_url = settings.redis_url
        if redis and redis_url is None:
            embedded_redis = EmbeddedRedis(data_dir / "redis", persistent=True)
            started.append(embedded_redis)
            redis_url = embedded_redis.start().url
        yield Infra(database_url, redis_url, tuple(started))
    finally:
        # Redis first: it may still be flushing jobs that name rows in Postgres.
        for server in reversed(started):
            server.stop()
