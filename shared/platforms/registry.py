"""Which class serves which platform. Adapter modules are imported on first use, so a process
pays only for the platforms it talks to. Each adapter class takes (client, settings)."""

import importlib
from collections.abc import Callable
from functools import cache

import httpx

from shared.config import Settings
from shared.platforms.base import Platform, PlatformAdapter

AdapterFactory = Callable[[httpx.AsyncClient, Settings], PlatformAdapter]

_CLASSES: dict[Platform, str] = {
    Platform.instagram: "shared.platforms.instagram:InstagramAdapter",
    Platform.facebook: "shared.platforms.facebook:FacebookAdapter",
    Platform.youtube: "shared.platforms.youtube:YouTubeAdapter",
    Platform.tiktok: "shared.platforms.tiktok:TikTokAdapter",
    Platform.x: "shared.platforms.x:XAdapter",
    Platform.linkedin: "shared.platforms.linkedin:LinkedInAdapter",
    Platform.pinterest: "shared.platforms.pinterest:PinterestAdapter",
    Platform.demo: "shared.platforms.demo:DemoAdapter",
}


@cache
def adapter_class(platform: Platform) -> AdapterFactory:
    module_name, class_name = _CLASSES[platform].split(":")
    return getattr(importlib.import_module(module_name), class_name)
