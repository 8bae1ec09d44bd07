"""Who published a post a URL does not name (shared/platforms/owners.py), replayed from recorded
responses in the platforms' real shapes."""

import httpx
import pytest
import respx

from shared.platforms import get_adapter
from shared.platforms.base import AuthExpired, Credentials, NotConfigured, Platform, RateLimited
from shared.platforms.owners import PostOwner, PostOwnerLookup
from tests.platforms.conftest import fixture_json, replay

YOUTUBE = "https://www.googleapis.com/youtube/v3"
PINTEREST = "https://api.pinterest.com/v5"
VIDEO = "D-lhorsDlUQ"
PIN = "1022106077905927852"
TOKEN = Credentials(access_token="pina_token")


def videos() -> respx.Route:
    return respx.get(f"{YOUTUBE}/videos")


def pin() -> respx.Route:
    return respx.get(f"{PINTEREST}/pins/{PIN}")


def youtube(name: str) -> httpx.Response:
    return replay("youtube", name)


def pinterest(status: int, name: str) -> httpx.Response:
    return httpx.Response(status, json=fixture_json("pinterest", name))


class TestWhoCanTell:
    @pytest.mark.parametrize(
        ("platform", "can"),
        [(p, p in (Platform.youtube, Platform.pinterest)) for p in Platform],
        ids=[p.value for p in Platform],
    )
    def test_only_adapters_whose_platform_can_tell(self, http, settings, platform, can):
        assert isinstance(get_adapter(platform, http, settings), PostOwnerLookup) is can


class TestYouTube:
    @respx.mock
    async def test_channel_of_a_video_with_the_app_key(self, http, settings):
        route = videos().mock(return_value=youtube("videos_owner.json"))
        owner = await get_adapter(Platform.youtube, http, settings).post_owner(VIDEO, None)
        assert owner == PostOwner(
            external_id="UCK8sQmJBp8GCxrOtXWBpyEA", display_name="Google Developers"
        )
        params = route.calls.last.request.url.params
        # snippet alone: one call, 1 quota unit, whatever the parts.
        assert dict(params) == {"part": "snippet", "id": VIDEO, "key": "test-youtube-key"}

    @respx.mock
    async def test_with_an_oauth_token(self, http, settings):
        route = videos().mock(return_value=youtube("videos_owner.json"))
        adapter = get_adapter(Platform.youtube, http, settings)
        await adapter.post_owner(VIDEO, Credentials(access_token="ya29.token"))
        request = route.calls.last.request
        assert request.headers["authorization"] == "Bearer ya29.token"
        assert "key" not in request.url.params

    @respx.mock
    async def test_gone_or_private_video(self, http, settings):
        respx.get(f"{YOUTUBE}/videos").mock(
            return_value=replay("youtube", "videos_owner_not_found.json")
        )
        assert await get_adapter(Platform.youtube, http, settings).post_owner(VIDEO, None) is None

    @respx.mock
    async def test_quota_exceeded(self, http, settings):
        videos().mock(return_value=youtube("error_quota_exceeded.json"))
        with pytest.raises(RateLimited):
            await get_adapter(Platform.youtube, http, settings).post_owner(VIDEO, None)

    @respx.mock
    async def test_refused_app_key_is_an_operators_to_fix(self, http, settings):
        videos().mock(return_value=youtube("error_key_invalid.json"))
        with pytest.raises(NotConfigured, match="SWAY_YOUTUBE_API_KEY"):
            await get_adapter(Platform.youtube, http, settings).post_owner(VIDEO, None)

    async def test_no_key_at_all(self, http, settings):
        unset = settings.model_copy(update={"youtube_api_key": None})
        with pytest.raises(NotConfigured):
            await get_adapter(Platform.youtube, http, unset).post_owner(VIDEO, None)


class TestPinterest:
    @respx.mock
    async def test_the_tokens_own_pin(self, http, settings):
        route = pin().mock(return_value=replay("pinterest", "pin.json"))
        owner = await get_adapter(Platform.pinterest, http, settings).post_owner(PIN, TOKEN)
        assert owner == PostOwner(handle="acmecoffee", credential_owner=True)
        assert route.calls.last.request.headers["authorization"] == "Bearer pina_token"

    @respx.mock
    async def test_a_pin_on_a_shared_group_board_is_not_the_tokens(self, http, settings):
        respx.get(f"{PINTEREST}/pins/{PIN}").mock(
            return_value=replay("pinterest", "pin_on_group_board.json")
        )
        assert await get_adapter(Platform.pinterest, http, settings).post_owner(PIN, TOKEN) is None

    @pytest.mark.parametrize(
        ("status", "name"),
        [(404, "error_404_pin_single.json"), (401, "error_401_pin_not_authorized.json")],
        ids=["not-found", "another-accounts"],
    )
    @respx.mock
    async def test_pins_this_token_cannot_see(self, http, settings, status, name):
        respx.get(f"{PINTEREST}/pins/{PIN}").mock(return_value=pinterest(status, name))
        assert await get_adapter(Platform.pinterest, http, settings).post_owner(PIN, TOKEN) is None

    @respx.mock
    async def test_expired_token(self, http, settings):
        respx.get(f"{PINTEREST}/pins/{PIN}").mock(return_value=pinterest(401, "error_401.json"))
        with pytest.raises(AuthExpired):
            await get_adapter(Platform.pinterest, http, settings).post_owner(PIN, TOKEN)

    async def test_no_token_asks_nothing(self, http, settings):
        with respx.mock(assert_all_called=False) as mock:
            with pytest.raises(AuthExpired):
                await get_adapter(Platform.pinterest, http, settings).post_owner(PIN, None)
            assert not mock.calls
