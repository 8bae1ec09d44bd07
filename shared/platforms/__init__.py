"""Platform adapters behind one Protocol; `get_adapter` is how the rest of Sway gets one."""

import httpx

from shared.config import Settings, get_settings
from shared.platforms.base import Platform, PlatformAdapter


def get_adapter(
    platform: str | Platform, client: httpx.AsyncClient, settings: Settings | None = None
) -> PlatformAdapter:
    from shared.platforms.registry import adapter_class

    try:
        chosen = Platform(platform)
    except ValueError as exc:
        raise ValueError(f"unknown platform {platform!r}") from exc
    return adapter_class(chosen)(client, settings or get_settings())
