"""The shared request helper: stored input that cannot make a request becomes an adapter error that
names the problem, never a crash, and never a message that quotes the token."""

import httpx
import pytest

from shared.platforms.base import AuthExpired, InvalidInput, PlatformUnavailable
from shared.platforms.http import send

URL = "https://api.example.test/v1/things"
NON_ASCII_TOKEN = "ya29.sécret-token"
CONTROL_TOKEN = "ya29.secret\x00token"


async def test_token_httpx_cannot_encode_is_auth_expired(http, respx_mock):
    route = respx_mock.get(URL)
    headers = {"Authorization": f"Bearer {NON_ASCII_TOKEN}"}

    with pytest.raises(AuthExpired, match="characters HTTP headers cannot carry") as caught:
        await send(http, "GET", URL, platform="youtube", headers=headers)

    assert "new credentials" in str(caught.value)
    assert NON_ASCII_TOKEN not in str(caught.value)
    # Not chained: the encoding error holds the whole header value.
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert not route.called


async def test_token_with_a_control_character_is_auth_expired(http, respx_mock):
    # h11 refuses the header while writing it, quoting the value in its message.
    respx_mock.get(URL).mock(
        side_effect=httpx.LocalProtocolError(f"Illegal header value b'Bearer {CONTROL_TOKEN}'")
    )
    headers = {"Authorization": f"Bearer {CONTROL_TOKEN}"}

    with pytest.raises(AuthExpired, match="cannot carry") as caught:
        await send(http, "GET", URL, platform="x", headers=headers)

    assert "secret" not in str(caught.value)
    assert caught.value.__cause__ is None


async def test_other_unwritable_request_is_invalid_input(http, respx_mock):
    respx_mock.get(URL).mock(side_effect=httpx.LocalProtocolError("Illegal target"))

    with pytest.raises(InvalidInput, match="cannot be written as HTTP"):
        await send(http, "GET", URL, platform="x", headers={"Authorization": "Bearer fine"})


async def test_url_with_a_control_character_is_invalid_input(http, respx_mock):
    url = "https://api.example.test/v1/users/by/username/acme\nevil"

    with pytest.raises(InvalidInput, match="not a valid URL") as caught:
        await send(http, "GET", url, platform="x")

    assert "acme\\nevil" in str(caught.value)  # names what is wrong
    assert not respx_mock.calls


async def test_error_messages_leave_the_query_out(http, respx_mock):
    respx_mock.get(URL).mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(PlatformUnavailable) as caught:
        await send(http, "GET", f"{URL}?access_token=EAAB-secret", platform="instagram")

    assert "EAAB-secret" not in str(caught.value)
    assert URL in str(caught.value)
