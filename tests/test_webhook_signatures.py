"""Webhook signatures, signed here as a marketplace and as Shopify do it: by hand, from their
specifications, not with the code under test."""

import base64
import hashlib
import hmac
import time

import pytest

from shared.webhooks.signatures import (
    InvalidSignature,
    new_secret,
    shopify_hmac,
    verify_shopify,
    verify_standard,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks specification's example
BODY = b'{"type":"order.created","timestamp":"2026-11-22T10:00:00Z","data":{"order_id":"1001"}}'


def _standard_headers(secret: str, body: bytes, *, at: float | None = None, msg_id="msg_1"):
    timestamp = str(int(time.time() if at is None else at))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    signature = "v1," + base64.b64encode(signed).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": timestamp, "webhook-signature": signature}


class TestStandardWebhooks:
    def test_a_marketplaces_signature_verifies(self):
        verify_standard([SECRET], _standard_headers(SECRET, BODY), BODY)

    def test_header_names_are_case_insensitive(self):
        headers = {k.title(): v for k, v in _standard_headers(SECRET, BODY).items()}
        verify_standard([SECRET], headers, BODY)

    def test_one_matching_signature_among_several_is_enough(self):
        headers = _standard_headers(SECRET, BODY)
        headers["webhook-signature"] = "v1,AAAA " + headers["webhook-signature"]
        verify_standard([SECRET], headers, BODY)

    def test_during_rotation_the_old_secret_still_verifies(self):
        old = new_secret()
        verify_standard([new_secret(), old], _standard_headers(old, BODY), BODY)

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            (lambda h, b: (h, b + b" "), "No matching signature found"),
            (lambda h, b: ({**h, "webhook-id": "msg_2"}, b), "No matching signature found"),
            (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-id"}, b), "Missing"),
            (lambda h, b: ({**h, "webhook-signature": "garbage"}, b), "malformed"),
            (lambda h, b: ({**h, "webhook-signature": "v1,%%%"}, b), "No matching signature"),
            (lambda h, b: ({**h, "webhook-timestamp": "soon"}, b), "Invalid Signature Headers"),
            (lambda h, b: (h, b"\xff\xfe"), "malformed"),
        ],
    )
    def test_anything_else_is_refused_with_its_reason(self, change, reason):
        headers, body = change(_standard_headers(SECRET, BODY), BODY)
        with pytest.raises(InvalidSignature) as raised:
            verify_standard([SECRET], headers, body)
        assert reason in raised.value.reason

    def test_another_secret_is_refused(self):
        with pytest.raises(InvalidSignature):
            verify_standard([new_secret()], _standard_headers(SECRET, BODY), BODY)

    @pytest.mark.parametrize(("offset", "reason"), [(-301, "too old"), (301, "too new")])
    def test_timestamps_more_than_five_minutes_off_are_refused(self, offset, reason):
        headers = _standard_headers(SECRET, BODY, at=time.time() + offset)
        with pytest.raises(InvalidSignature) as raised:
            verify_standard([SECRET], headers, BODY)
        assert reason in raised.value.reason

    def test_new_secrets_are_random_and_well_formed(self):
        first, second = new_secret(), new_secret()
        assert first != second and first.startswith("whsec_")
        assert len(base64.b64decode(first.removeprefix("whsec_"))) == 24


class TestShopify:
    SHOPIFY_SECRET = "shpss_0123456789abcdef"

    def _header(self, body: bytes) -> str:
        digest = hmac.new(self.SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def test_shopifys_hmac_verifies(self):
        assert shopify_hmac(self.SHOPIFY_SECRET, BODY) == self._header(BODY)
        verify_shopify([self.SHOPIFY_SECRET], self._header(BODY), BODY)

    @pytest.mark.parametrize("header", [None, "", "not base64 at all", "AAAA"])
    def test_a_missing_or_wrong_hmac_is_refused(self, header):
        with pytest.raises(InvalidSignature):
            verify_shopify([self.SHOPIFY_SECRET], header, BODY)

    def test_a_changed_body_is_refused(self):
        with pytest.raises(InvalidSignature):
            verify_shopify([self.SHOPIFY_SECRET], self._header(BODY), BODY + b"\n")
