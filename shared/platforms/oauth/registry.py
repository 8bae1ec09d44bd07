"""Which class runs which platform's OAuth flow, imported on first use like the adapters. Each
class takes (client, settings)."""

import importlib
from collections.abc import Callable
from functools import cache

import httpx

from shared.config import Settings
from shared.platforms.base import Platform
from shared.platforms.oauth.base import OAuthProvider

ProviderFactory = Callable[[httpx.AsyncClient, Settings], OAuthProvider]

_CLASSES: dict[Platform, str] = {
    Platform.instagram: "shared.platforms.oauth.meta:InstagramOAuth",
    Platform.facebook: "shared.platforms.oauth.meta:FacebookOAuth",
    Platform.youtube: "shared.platforms.oauth.google:YouTubeOAuth",
    Platform.tiktok: "shared.platforms.oauth.tiktok:TikTokOAuth",
    Platform.x: "shared.platforms.oauth.x:XOAuth",
    Platform.linkedin: "shared.platforms.oauth.linkedin:LinkedInOAuth",
    Platform.pinterest: "shared.platforms.oauth.pinterest:PinterestOAuth",
}

CONNECTABLE = frozenset(_CLASSES)


@cache
def provider_class(platform: Platform) -> ProviderFactory:
    module_name, class_name = _CLASSES[platform].split(":")
    return getattr(importlib.import_module(module_name), class_name)
