"""SWAY_SECRET_KEY as a list of Fernet keys: the first encrypts, every one decrypts."""

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from services.cli.main import app
from shared.config import DEV_SECRET_KEY, Settings, get_settings
from shared.crypto import (
    CredentialsError,
    decrypt_credentials,
    encrypt_credentials,
    generate_key,
    rotate_credentials,
    seal,
    unseal,
)
from shared.platforms.base import Credentials

CREDENTIALS = Credentials(access_token="tok-123", extra={"organization_urn": "urn:li:org:1"})
NEW, OLD = generate_key(), generate_key()


def settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


def production(secret_key: str) -> Settings:
    return settings(
        env="prod", secret_key=secret_key, database_url="postgresql://db/s", redis_url="redis://r"
    )


class TestSeveralKeys:
    def test_a_token_sealed_under_the_old_key_opens_with_new_then_old(self):
        token = encrypt_credentials(CREDENTIALS, OLD)
        assert decrypt_credentials(token, f"{NEW},{OLD}") == CREDENTIALS

    def test_the_first_key_encrypts(self):
        token = encrypt_credentials(CREDENTIALS, f"{NEW},{OLD}")
        assert decrypt_credentials(token, NEW) == CREDENTIALS
        with pytest.raises(CredentialsError):
            decrypt_credentials(token, OLD)

    def test_spaces_around_the_commas_are_ignored(self):
        token = encrypt_credentials(CREDENTIALS, OLD)
        assert decrypt_credentials(token, f" {NEW} , {OLD} ") == CREDENTIALS

    def test_a_bad_key_is_named_by_position(self):
        with pytest.raises(CredentialsError, match="key 2 of 2"):
            encrypt_credentials(CREDENTIALS, f"{NEW},not-a-key")


class TestRotate:
    def test_rotated_token_opens_under_the_new_key_alone(self):
        rotated = rotate_credentials(encrypt_credentials(CREDENTIALS, OLD), f"{NEW},{OLD}")
        assert decrypt_credentials(rotated, NEW) == CREDENTIALS

    def test_rotating_a_current_token_keeps_it_readable(self):
        current = encrypt_credentials(CREDENTIALS, NEW)
        assert decrypt_credentials(rotate_credentials(current, f"{NEW},{OLD}"), NEW) == CREDENTIALS

    @pytest.mark.parametrize("token", ["not-a-token", "sealed under another key"])
    def test_a_token_no_key_opens_is_refused(self, token):
        if token.startswith("sealed"):
            token = encrypt_credentials(CREDENTIALS, generate_key())
        with pytest.raises(CredentialsError, match="do not decrypt under any key"):
            rotate_credentials(token, f"{NEW},{OLD}")


class TestSettings:
    def test_several_keys_load_newest_first(self):
        loaded = settings(secret_key=f" {NEW}, {OLD} ")
        assert loaded.secret_keys() == [NEW, OLD]
        assert loaded.secret_key.get_secret_value() == f"{NEW},{OLD}"

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (f"{NEW},not-a-key", "key 2 of 2 is not a Fernet key"),
            (f"oops,{NEW},{OLD}", "key 1 of 3 is not a Fernet key"),
            (" , ", "at least one Fernet key"),
        ],
        # Named by the message: the keys are new each run, and parallel test processes must
        # collect the same test ids.
        ids=["second-of-two", "first-of-three", "blank"],
    )
    def test_a_bad_key_is_named_by_position_and_not_echoed(self, value, message):
        with pytest.raises(ValidationError) as error:
            settings(secret_key=value)
        assert error.value.errors()[0]["loc"] == ("secret_key",)
        assert message in str(error.value)
        assert "oops" not in str(error.value) and "not-a-key" not in str(error.value)

    def test_production_refuses_the_development_key_first(self):
        with pytest.raises(ValidationError, match="development key"):
            production(f"{DEV_SECRET_KEY},{NEW}")

    def test_production_accepts_the_development_key_as_an_old_key(self):
        assert production(f"{NEW},{DEV_SECRET_KEY}").secret_keys() == [NEW, DEV_SECRET_KEY]


class TestCli:
    def test_refuses_a_bad_second_key_naming_the_variable(self, monkeypatch):
        monkeypatch.setenv("SWAY_SECRET_KEY", f"{NEW},not-a-key")
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, ["secret-key"])
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 2
        assert "SWAY_SECRET_KEY" in result.output
        assert "key 2 of 2" in result.output

    def test_secret_key_help_explains_rotation(self):
        result = CliRunner().invoke(app, ["secret-key", "--help"])
        assert result.exit_code == 0
        assert "<new>,<old>" in result.output
        assert "sway secrets reencrypt" in result.output


class TestSealedSecrets:
    def test_a_sealed_secret_opens_under_the_same_keys_and_is_not_plain(self):
        token = seal("whsec_abc", f"{NEW},{OLD}")
        assert "whsec_abc" not in token
        assert unseal(token, f"{NEW},{OLD}") == "whsec_abc"
        assert unseal(token, NEW) == "whsec_abc"  # the first key sealed it

    def test_a_secret_no_key_opens_is_refused(self):
        with pytest.raises(CredentialsError, match="does not decrypt"):
            unseal(seal("whsec_abc", OLD), NEW)
