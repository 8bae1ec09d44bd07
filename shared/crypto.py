"""Platform credentials at rest: Fernet (AES-128-CBC + HMAC) under SWAY_SECRET_KEY."""

import json

from cryptography.fernet import Fernet, InvalidToken

from shared.platforms.base import Credentials


class CredentialsError(Exception):
    pass


def _fernet(secret_key: str) -> Fernet:
    try:
        return Fernet(secret_key.encode())
    except ValueError as exc:
        raise CredentialsError("SWAY_SECRET_KEY is not a Fernet key (`sway secret-key`)") from exc


def generate_key() -> str:
    return Fernet.generate_key().decode()


def encrypt_credentials(credentials: Credentials, secret_key: str) -> str:
    payload = {
        "access_token": credentials.access_token,
        "api_key": credentials.api_key,
        "extra": credentials.extra,
    }
    return _fernet(secret_key).encrypt(json.dumps(payload).encode()).decode()


def decrypt_credentials(token: str | None, secret_key: str) -> Credentials | None:
    if token is None:
        return None
    try:
        payload = json.loads(_fernet(secret_key).decrypt(token.encode()))
    except InvalidToken as exc:
        raise CredentialsError("stored credentials do not decrypt under SWAY_SECRET_KEY") from exc
    return Credentials(
        access_token=payload.get("access_token"),
        api_key=payload.get("api_key"),
        extra=payload.get("extra") or {},
    )
