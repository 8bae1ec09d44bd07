"""Signatures of webhooks: Standard Webhooks (marketplaces inbound, Sway's own events outbound)
through the `standardwebhooks` library, the specification's reference implementation; Shopify's
HMAC of the raw body; and the secrets Sway issues. Pure: no I/O, nothing stored.

A verification takes several secrets: while a source's secret is rotated, the old one and the
new one both verify until the grace period ends."""

import base64
import binascii
import hashlib
import hmac
import secrets as random
from collections.abc import Mapping, Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24  # 192 bits, as the Standard Webhooks specification suggests (24 to 64 bytes)
# How far a webhook-timestamp may be from now: the library's fixed tolerance.
TOLERANCE_S = 300


class InvalidSignature(Exception):
    """The request is not signed by a secret of the source; `reason` says how it failed, in
    words safe to log (never the secret, never the body)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def sign_standard(secret: str, msg_id: str, timestamp: datetime, body: str) -> str:
    """The `webhook-signature` header value for a message: `v1,<base64 HMAC-SHA256>`."""
    return Webhook(secret).sign(msg_id, timestamp, body)


def verify_standard(secrets: Sequence[str], headers: Mapping[str, str], body: bytes) -> None:
    """Raise InvalidSignature unless one of `secrets` signed `body` with these headers
    (`webhook-id`, `webhook-timestamp` within 5 minutes of now, `webhook-signature`)."""
    reason = "no secret to verify with"
    for secret in secrets:
        try:
            Webhook(secret).verify(body, dict(headers), json_parse=False)
            return
        except WebhookVerificationError as exc:
            reason = str(exc)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            # The library lets a signature without "v1," or with bad base64, and a body that
            # is not UTF-8, escape as these; to the sender they are all a bad signature.
            reason = "malformed signature headers or body"
    raise InvalidSignature(reason)


def shopify_hmac(secret: str, body: bytes) -> str:
    """`X-Shopify-Hmac-Sha256` for a body: base64 of its HMAC-SHA256 under the app's secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_shopify(secrets: Sequence[str], header: str | None, body: bytes) -> None:
    """Raise InvalidSignature unless `header` is the HMAC of `body` under one of `secrets`,
    compared in constant time."""
    if not header:
        raise InvalidSignature("missing X-Shopify-Hmac-Sha256")
    given = header.strip().encode()
    for secret in secrets:
        if hmac.compare_digest(shopify_hmac(secret, body).encode(), given):
            return
    raise InvalidSignature("no matching signature found")
