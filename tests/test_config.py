import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from services.cli.main import app
from shared.config import DEV_SECRET_KEY, Settings, get_settings


def settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


class TestSettings:
    def test_postgres_urls_get_the_async_driver(self):
        assert settings(database_url="postgresql://u:p@db/sway").database_url == (
            "postgresql+asyncpg://u:p@db/sway"
        )
        assert settings(database_url="postgres://db/sway").database_url == (
            "postgresql+asyncpg://db/sway"
        )

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("database_url", "mysql://db/sway"),
            ("redis_url", "http://cache"),
            ("api_port", 70000),
            ("log_level", "LOUD"),
            ("linkedin_version", "2026-10"),
            ("cadence_hourly_every_s", 5),
        ],
    )
    def test_bad_values_name_the_field(self, field, value):
        with pytest.raises(ValidationError) as error:
            settings(**{field: value})
        assert error.value.errors()[0]["loc"] == (field,)

    def test_production_refuses_the_development_key(self):
        with pytest.raises(ValidationError, match="development key"):
            settings(
                env="prod",
                secret_key=DEV_SECRET_KEY,
                database_url="postgresql://db/s",
                redis_url="redis://r",
            )

    def test_production_needs_server_urls(self):
        from shared.crypto import generate_key

        with pytest.raises(ValidationError, match="SWAY_DATABASE_URL and SWAY_REDIS_URL"):
            settings(env="prod", secret_key=generate_key())

    def test_the_refresh_lease_must_outlive_the_job(self):
        with pytest.raises(ValidationError, match="SWAY_REFRESH_LEASE_S must be longer"):
            settings(worker_job_timeout_s=300, refresh_lease_s=240)
        assert settings().refresh_lease_s > settings().worker_job_timeout_s

    def test_a_listening_scan_slice_fits_twice_in_a_job(self):
        with pytest.raises(ValidationError, match="SWAY_LISTENING_JOB_S must be at most half"):
            settings(listening_job_s=61)
        assert settings().listening_job_s * 2 <= settings().worker_job_timeout_s

    def test_base_url_per_platform(self):
        assert (
            settings(x_base_url="http://127.0.0.1:9/x/2/").base_url("x") == "http://127.0.0.1:9/x/2"
        )


class TestCliRefusesBadSettings:
    def test_names_the_variable(self, monkeypatch):
        monkeypatch.setenv("SWAY_API_PORT", "not-a-port")
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, ["secret-key"])
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 2
        assert "SWAY_API_PORT" in result.output


class TestLogging:
    def test_platform_request_urls_are_not_logged(self):
        import logging

        from shared.logging import configure_logging

        configure_logging(settings(log_level="DEBUG"))
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
        assert not logging.getLogger("httpcore").isEnabledFor(logging.INFO)
