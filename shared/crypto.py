"""Secrets at rest (platform credentials, webhook signing secrets): Fernet (AES-128-CBC +
HMAC) under SWAY_SECRET_KEY.

SWAY_SECRET_KEY may hold several comma-separated keys, newest first: the first encrypts, every
one decrypts, so a key can be replaced without losing what the old one sealed (README "Rotating
the secret key")."""

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.config import split_secret_keys
from shared.platforms.base import Credentials


class CredentialsError(Exception):
    pass


def _fernet(secret_key: str) -> MultiFernet:
    keys = split_secret_keys(secret_key)
    if not keys:
        raise CredentialsError("SWAY_SECRET_KEY holds no key (`sway secret-key`)")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except ValueError as exc:
            raise CredentialsError(
                f"key {position} of {len(keys)} in SWAY_SECRET_KEY is not a Fernet key "
                "(`sway secret-key`)"
            ) from exc
    return MultiFernet(fernets)


def generate_key() -> str:
    return Fernet.generate_key().decode()


def seal(text: str, secret_key: str) -> str:
    """A secret Sway must read back later (a webhook source's or subscription's signing
    secret), sealed under the first key of SWAY_SECRET_KEY."""
    return _fernet(secret_key).encrypt(text.encode()).decode()


def unseal(token: str, secret_key: str, *, ttl_s: int | None = None) -> str:
    """The sealed text; with `ttl_s`, only if it was sealed at most that many seconds ago (Fernet
    tokens carry their time, under the HMAC)."""
    try:
        return _fernet(secret_key).decrypt(token.encode(), ttl=ttl_s).decode()
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise CredentialsError("a sealed secret does not decrypt under SWAY_SECRET_KEY") from exc


def encrypt_credentials(credentials: Credentials, secret_key: str) -> str:
    payload = {
        "access_token": credentials.access_token,
        "api_key": credentials.api_key,
        "extra": credentials.extra,
        "refresh_token": credentials.refresh_token,
        "subject": credentials.subject,
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
        refresh_token=payload.get("refresh_token"),
        subject=payload.get("subject"),
    )


def rotate_credentials(token: str, secret_key: str) -> str:
    """The same credentials sealed under the first key; harmless on a token already under it."""
    try:
        return _fernet(secret_key).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialsError("stored credentials do not decrypt under any key") from exc
