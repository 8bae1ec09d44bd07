from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A Fernet key anyone can read in the repository: fine for dev and tests, refused in production.
DEV_SECRET_KEY = "ZGV2LW9ubHktc3dheS1rZXktMzItYnl0ZXMtbG9uZyE="


class Settings(BaseSettings):
    """Every knob of Sway, read once from `SWAY_*` environment variables (or `.env`)."""

    model_config = SettingsConfigDict(
        env_prefix="SWAY_", env_file=".env", extra="ignore", validate_default=True
    )

    env: Literal["dev", "test", "prod"] = "dev"
    # None means "start the embedded server under data_dir" (sway run / make test).
    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = Path(".sway")

    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = False

    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=1, le=65535)
    # Requests per minute per API key before 429.
    api_rate_limit_per_minute: int = Field(600, ge=1)
    idempotency_ttl_s: int = Field(24 * 3600, ge=60)

    # Platform endpoints: point any of them at a local fake server for benchmarks.
    instagram_base_url: str = "https://graph.facebook.com/v25.0"
    facebook_base_url: str = "https://graph.facebook.com/v25.0"
    youtube_base_url: str = "https://www.googleapis.com/youtube/v3"
    tiktok_base_url: str = "https://open.tiktokapis.com/v2"
    x_base_url: str = "https://api.x.com/2"
    linkedin_base_url: str = "https://api.linkedin.com/rest"
    pinterest_base_url: str = "https://api.pinterest.com/v5"
    youtube_api_key: SecretStr | None = None
    linkedin_version: str = Field("202610", pattern=r"^\d{6}$")
    platform_timeout_s: float = Field(20.0, gt=0)

    # Ingestion. Accounts sync daily; the simulated demo platform faster, so a first run shows
    # data moving within minutes.
    account_sync_interval_s: int = Field(24 * 3600, ge=60)
    demo_account_sync_interval_s: int = Field(300, ge=10)
    scheduler_batch_limit: int = Field(5000, ge=1)
    worker_max_jobs: int = Field(20, ge=1)

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith("postgresql+asyncpg://"):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Self:
        if self.env == "prod" and self.secret_key.get_secret_value() == DEV_SECRET_KEY:
            raise ValueError(
                "SWAY_SECRET_KEY is the development key; generate one with `sway secret-key`"
            )
        if self.env == "prod" and (self.database_url is None or self.redis_url is None):
            raise ValueError("SWAY_DATABASE_URL and SWAY_REDIS_URL are required when SWAY_ENV=prod")
        return self

    def base_url(self, platform: str) -> str:
        return getattr(self, f"{platform}_base_url").rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()
