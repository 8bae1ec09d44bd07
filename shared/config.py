from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A Fernet key anyone can read in the repository: fine for dev and tests, refused in production.
DEV_SECRET_KEY = "ZGV2LW9ubHktc3dheS1rZXktMzItYnl0ZXMtbG9uZyE="


def split_secret_keys(value: str) -> list[str]:
    """SWAY_SECRET_KEY's keys, newest first: the first encrypts, all decrypt (key rotation)."""
    return [key.strip() for key in value.split(",") if key.strip()]


class Settings(BaseSettings):
    """Every knob of Sway, read once from `SWAY_*` environment variables (or `.env`)."""

    # Errors never repeat the values: SWAY_SECRET_KEY (and passwords in URLs) would otherwise end
    # up in a startup traceback's log.
    model_config = SettingsConfigDict(
        env_prefix="SWAY_",
        env_file=".env",
        extra="ignore",
        validate_default=True,
        hide_input_in_errors=True,
    )

    env: Literal["dev", "test", "prod"] = "dev"
    # None means "start the embedded server under data_dir" (sway run / make test).
    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = Path(".sway")

    # Comma-separated Fernet keys, newest first (README "Rotating the secret key").
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = False

    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=1, le=65535)
    # Requests per minute per API key before 429.
    api_rate_limit_per_minute: int = Field(600, ge=1)
    idempotency_ttl_s: int = Field(24 * 3600, ge=60)
    # Failed authentications (unknown or revoked key) per minute per client address before 429;
    # a valid key is never refused for them. An unknown key is answered from Redis this long.
    api_failed_auth_limit_per_minute: int = Field(20, ge=1)
    api_unknown_key_cache_s: int = Field(30, ge=1)
    # Largest request body the API reads (413 above it), and the one for /webhooks/ paths,
    # whose senders' payloads Sway does not shape (docs/api.md "Request bodies").
    api_max_body_bytes: int = Field(1024 * 1024, ge=1024)
    webhook_max_body_bytes: int = Field(1024 * 1024, ge=1024)

    # Platform endpoints: point any of them at a local fake server for benchmarks.
    instagram_base_url: str = "https://graph.facebook.com/v25.0"
    facebook_base_url: str = "https://graph.facebook.com/v25.0"
    youtube_base_url: str = "https://www.googleapis.com/youtube/v3"
    tiktok_base_url: str = "https://open.tiktokapis.com/v2"
    x_base_url: str = "https://api.x.com/2"
    linkedin_base_url: str = "https://api.linkedin.com/rest"
    pinterest_base_url: str = "https://api.pinterest.com/v5"
    youtube_analytics_base_url: str = "https://youtubeanalytics.googleapis.com/v2"
    youtube_api_key: SecretStr | None = None
    linkedin_version: str = Field("202610", pattern=r"^\d{6}$")
    platform_timeout_s: float = Field(20.0, gt=0)
    # Tracking a pasted link: following a short link's redirects, and asking a platform who
    # published a post the URL does not name, each within this many seconds of the request.
    link_resolve_timeout_s: float = Field(5.0, gt=0, le=30)
    link_resolve_max_hops: int = Field(5, ge=1, le=10)

    # Ingestion. Accounts sync daily; the simulated demo platform faster, so a first run shows
    # data moving within minutes.
    account_sync_interval_s: int = Field(24 * 3600, ge=60)
    demo_account_sync_interval_s: int = Field(300, ge=10)
    # Posts claimed per 10 s scheduler tick (2,000 posts/s): far above what platform quotas allow
    # (YouTube's daily quota refreshes ~6 posts/s), while keeping one tick's claim short.
    scheduler_batch_limit: int = Field(20_000, ge=1)
    # Post refresh cadence by age (DESIGN.md "What is due"): dense while engagement moves,
    # sparse later, stopped after the horizon. Each pair is (age below, refresh every), seconds.
    cadence_hourly_until_s: int = Field(24 * 3600, ge=0)
    cadence_hourly_every_s: int = Field(3600, ge=60)
    cadence_six_hourly_until_s: int = Field(7 * 24 * 3600, ge=0)
    cadence_six_hourly_every_s: int = Field(6 * 3600, ge=60)
    cadence_daily_until_s: int = Field(30 * 24 * 3600, ge=0)
    cadence_daily_every_s: int = Field(24 * 3600, ge=60)
    cadence_weekly_every_s: int = Field(7 * 24 * 3600, ge=60)
    cadence_horizon_s: int = Field(90 * 24 * 3600, ge=3600)
    # The simulated platform refreshes on a short fixed cadence so `make run` shows motion.
    demo_refresh_every_s: int = Field(180, ge=10)
    # A refresh job is cancelled after this long (one platform call, at most a few with
    # fallbacks, and one write: far below it in practice).
    worker_job_timeout_s: int = Field(120, ge=10)
    # How long a claimed batch is reserved before the scheduler may claim it again: the job's
    # timeout plus as long again for waiting for a free job slot. A killed job's posts are
    # claimed again this soon; a job that starts later finds its lease gone and does nothing.
    refresh_lease_s: int = Field(240, ge=20)
    # How far ahead a batch may reserve its platform budget (it then waits, leased, in order).
    # Batches that would wait longer are postponed instead and reserve when they come round.
    budget_max_reserve_s: int = Field(3600, ge=0)
    # Tries of a batch against a platform that keeps failing (5xx, timeouts) before its posts
    # wait for their next due time.
    refresh_max_attempts: int = Field(5, ge=1)
    # A batch whose platform is misconfigured in Sway (e.g. SWAY_YOUTUBE_API_KEY refused)
    # waits this long before trying again, so fixing the setting resumes it by itself.
    config_retry_s: int = Field(900, ge=10)
    # KPI recomputation is debounced to at most one job per campaign per window.
    kpi_debounce_s: int = Field(60, ge=1)
    worker_max_jobs: int = Field(20, ge=1)
    # Refresh jobs' writes that may run at once in one worker; batches that come back while
    # they all run are written together in the next one (services/worker/batch_writer.py).
    worker_write_flushes: int = Field(4, ge=1)
    # A deliverable past due and not published is `late`; this long after that, `missed`.
    deliverable_grace_s: int = Field(3 * 24 * 3600, ge=0)
    # Instagram stories (docs/ingestion.md, "Stories"): they and their insights live 24 h, so
    # connected accounts' stories are listed and their insights kept this often, and once more
    # within story_final_capture_s of each story's expiry.
    story_poll_every_s: int = Field(1800, ge=60, le=6 * 3600)
    story_final_capture_s: int = Field(600, ge=60, le=3600)
    # Audience demographics of connected accounts are read with their sync, at most this often.
    audience_every_s: int = Field(24 * 3600, ge=3600)

    # --- Webhooks in, attribution, events out (docs/webhooks.md). ---
    # Where Sway is reached from outside (short links, webhook URLs); unset, the API's own
    # host and port (`public_url`).
    public_base_url: str | None = None
    # An inbound event is tried this many times (exponential backoff) before it is `dead`.
    webhook_max_attempts: int = Field(8, ge=1)
    # A conversion counts for a campaign from its start until this many days after its end.
    attribution_window_days: int = Field(30, ge=0)
    # A rotated webhook secret keeps verifying this long after the rotation.
    webhook_secret_grace_s: int = Field(24 * 3600, ge=0)
    # Outbound deliveries: the receiver's time to answer, attempts per delivery, and how many
    # deliveries failing in a row disable a subscription.
    outbound_timeout_s: float = Field(10.0, gt=0)
    outbound_max_attempts: int = Field(8, ge=1)
    outbound_disable_after: int = Field(20, ge=1)
    # Subscription targets on private, loopback or link-local addresses: unset, refused in prod
    # and allowed in dev and test (a local receiver); `allows_private_targets` decides.
    outbound_allow_private: bool | None = None
    # Vetting: an account whose authenticity score falls below this emits
    # account.authenticity_alert (once per fall).
    authenticity_alert_below: float = Field(50.0, ge=0, le=100)
    # POST /v1/creators:bulk takes at most this many items per request.
    creators_bulk_max_items: int = Field(1000, ge=1, le=10_000)

    # --- Snapshot history (docs/scaling.md, "Partitioned history and retention"). ---
    # Month partitions kept ready beyond the current one (the daily history cron makes them).
    history_partitions_ahead: int = Field(3, ge=1, le=24)
    # Opt-in retention; unset, history is kept whole (DESIGN.md: nothing is lost). Month
    # partitions wholly older than this many full months are detached (kept on disk as
    # `<partition>_detached`, out of every read) or, with `drop`, deleted.
    history_retention_months: int | None = Field(None, ge=1)
    history_retention_action: Literal["detach", "drop"] = "detach"
    # Opt-in thinning: snapshots older than this many days keep only each day's last one.
    history_thin_after_days: int | None = Field(None, ge=1)

    # --- Connecting accounts through OAuth (docs/connecting.md). ---
    # Sway's app on each platform: SWAY_OAUTH_<PLATFORM>_CLIENT_ID and _CLIENT_SECRET. Unset,
    # that platform's accounts can only be given a token by hand (PUT .../credentials).
    oauth_instagram_client_id: str | None = None
    oauth_instagram_client_secret: SecretStr | None = None
    oauth_facebook_client_id: str | None = None
    oauth_facebook_client_secret: SecretStr | None = None
    oauth_youtube_client_id: str | None = None
    oauth_youtube_client_secret: SecretStr | None = None
    oauth_tiktok_client_id: str | None = None
    oauth_tiktok_client_secret: SecretStr | None = None
    oauth_x_client_id: str | None = None
    oauth_x_client_secret: SecretStr | None = None
    oauth_linkedin_client_id: str | None = None
    oauth_linkedin_client_secret: SecretStr | None = None
    oauth_pinterest_client_id: str | None = None
    oauth_pinterest_client_secret: SecretStr | None = None
    # Where the browser lands after a connect flow (?status=connected|failed&account_id=...);
    # a per-request return_url must start with it. Unset, Sway shows its own result page.
    oauth_return_url: str | None = None
    # An authorization started must come back within this; a connect link is valid this long.
    oauth_state_ttl_s: int = Field(900, ge=60, le=24 * 3600)
    connect_link_ttl_s: int = Field(7 * 24 * 3600, ge=300, le=30 * 24 * 3600)
    # Tokens are refreshed when they expire within this (the refresh cron runs every minute).
    token_refresh_ahead_s: int = Field(900, ge=120)
    # A worker refreshing a credential holds it this long at most (a refresh is one HTTP call).
    token_refresh_lease_s: int = Field(120, ge=10)

    # --- Brand listening (docs/listening.md). ---
    # Comments read per tracked post per pass, newest first (a page or two on every platform).
    comments_per_post: int = Field(100, ge=1, le=1000)
    # How often a tracked post's comments are read again, and for how long after it is published.
    comments_refresh_s: int = Field(6 * 3600, ge=300)
    comments_window_days: int = Field(30, ge=1, le=365)
    # Texts matched and analysed per statement by the listening scan.
    listening_batch: int = Field(1000, ge=10, le=10000)
    # Every caption of tracked posts and synced listings is matched again this often (comments
    # are matched as they arrive), and at once after a brand change.
    listening_caption_pass_s: int = Field(3600, ge=60)
    # One scan job works this long at most, then queues the next to carry on (at most half
    # SWAY_WORKER_JOB_TIMEOUT_S).
    listening_job_s: int = Field(60, ge=0)

    # --- Request budgets (shared/budget.py): "CALLS/SECONDS" per platform and credential. ---
    # Defaults are the documented limits (shared/reference/platform-apis.md); where a limit cannot
    # be known up front they are conservative guesses, and a platform's throttle pauses the bucket.
    budget_youtube: str = "10000/86400"  # 10,000 quota units a day; videos.list costs 1 unit
    budget_x: str = "3500/900"  # GET /2/tweets: 3,500 per 15 minutes per app
    budget_tiktok: str = "600/60"  # 600 a minute per endpoint
    # Instagram's BUC limit (4,800 x impressions a day) depends on reach we only learn later, so
    # use the Graph platform limit instead: 200 calls an hour per user.
    budget_instagram: str = "200/3600"
    budget_facebook: str = "200/3600"  # user tokens: platform limit, 200 an hour per user
    # LinkedIn's daily limits are real but unpublished (Developer Portal only): guess low.
    budget_linkedin: str = "1000/86400"
    # Standard access allows 100/s per user, but every app starts on trial access: 1,000 a day.
    budget_pinterest: str = "1000/86400"
    budget_demo: str = "6000/60"  # simulated: fast, but still exercises the budget
    # YouTube Analytics has its own quota, apart from the Data API's units: guess low.
    budget_youtube_analytics: str = "1000/86400"

    @field_validator(
        "budget_youtube",
        "budget_x",
        "budget_tiktok",
        "budget_instagram",
        "budget_facebook",
        "budget_linkedin",
        "budget_pinterest",
        "budget_demo",
        "budget_youtube_analytics",
    )
    @classmethod
    def _calls_per_seconds(cls, value: str) -> str:
        calls, _, seconds = value.partition("/")
        try:
            # The bounds also reject "nan" and "inf", which float() would accept.
            valid = int(calls) >= 1 and 0 < float(seconds) < float("inf")
        except ValueError:
            valid = False
        if not valid:
            raise ValueError(
                f'must be "CALLS/SECONDS" with CALLS >= 1 and SECONDS > 0 (e.g. "10000/86400"), '
                f"not {value!r}"
            )
        return value

    @field_validator("secret_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr) -> SecretStr:
        keys = split_secret_keys(value.get_secret_value())
        if not keys:
            raise ValueError("must hold at least one Fernet key (`sway secret-key`)")
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key)
            except ValueError:
                # The position, never the value: this message reaches logs and terminals.
                raise ValueError(
                    f"key {position} of {len(keys)} is not a Fernet key "
                    "(comma-separated, newest first; generate one with `sway secret-key`)"
                ) from None
        return SecretStr(",".join(keys))

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
    def _lease_outlives_the_job(self) -> Self:
        if self.refresh_lease_s <= self.worker_job_timeout_s:
            raise ValueError(
                "SWAY_REFRESH_LEASE_S must be longer than SWAY_WORKER_JOB_TIMEOUT_S, or a running "
                "batch could lose its posts to the next claim"
            )
        return self

    @model_validator(mode="after")
    def _scan_slice_fits_the_job(self) -> Self:
        # A slice is checked between batches, so leave room for the batch that overruns it.
        if self.listening_job_s * 2 > self.worker_job_timeout_s:
            raise ValueError(
                "SWAY_LISTENING_JOB_S must be at most half SWAY_WORKER_JOB_TIMEOUT_S, or a scan "
                "job could be cut off mid-batch at every run"
            )
        return self

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Self:
        # Only the encrypting key matters: the development key may stay further down the list
        # while a deployment migrates off it (`sway secrets reencrypt`).
        if self.env == "prod" and self.secret_keys()[0] == DEV_SECRET_KEY:
            raise ValueError(
                "SWAY_SECRET_KEY is the development key; generate one with `sway secret-key`"
            )
        if self.env == "prod" and (self.database_url is None or self.redis_url is None):
            raise ValueError("SWAY_DATABASE_URL and SWAY_REDIS_URL are required when SWAY_ENV=prod")
        return self

    def secret_keys(self) -> list[str]:
        return split_secret_keys(self.secret_key.get_secret_value())

    @property
    def public_url(self) -> str:
        return (self.public_base_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def allows_private_targets(self) -> bool:
        if self.outbound_allow_private is not None:
            return self.outbound_allow_private
        return self.env != "prod"

    def base_url(self, platform: str) -> str:
        return getattr(self, f"{platform}_base_url").rstrip("/")

    def oauth_client(self, platform: str) -> tuple[str, str] | None:
        """Sway's (client id, client secret) on `platform`, or None where either is unset."""
        client_id = getattr(self, f"oauth_{platform}_client_id", None)
        secret = getattr(self, f"oauth_{platform}_client_secret", None)
        if not client_id or secret is None or not secret.get_secret_value():
            return None
        return client_id, secret.get_secret_value()

    def oauth_redirect_uri(self, platform: str) -> str:
        """The callback to register with the platform: exact, so public_base_url must be set."""
        return f"{self.public_url}/oauth/{platform}/callback"


@lru_cache
def get_settings() -> Settings:
    return Settings()
