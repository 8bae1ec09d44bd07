"""Problems with Sway's own configuration that a platform call revealed (an app-level API key
missing or refused, say: the adapter raised NotConfigured). They are nobody's expired token, so
they are kept apart from any account or post, in Redis, where every process sees them and
`/readyz` shows them.

    await config_problems.report(redis, "youtube", "youtube: SWAY_YOUTUBE_API_KEY is not set")
    await config_problems.clear(redis, "youtube")   # a call that relied on Sway's settings worked
    await config_problems.current(redis)            # {"youtube": "youtube: SWAY_YOUTUBE_..."}

Call `report` wherever NotConfigured is caught, and `clear` after a successful call that used
the app configuration (no user secret of its own). A report lasts a day after the last one
(TTL), so a problem fixed where no call proves it does not linger for ever. Settings are read at
process start: after fixing one, restart the worker.
"""

import json
from datetime import UTC, datetime

import structlog
from redis.asyncio import Redis

from shared.platforms.base import Platform

KEY_PREFIX = "sway:config_problem:"
TTL_S = 24 * 3600

log = structlog.get_logger()
# (platform, message) pairs this process has logged: every failing call reports, but the log gets
# one ERROR line per problem, not one per account.
_logged: set[tuple[str, str]] = set()


def _key(platform: str) -> str:
    return f"{KEY_PREFIX}{platform}"


async def report(redis: Redis, platform: str, message: str) -> None:
    """Record that `platform` cannot work because of Sway's configuration (`message` says which
    setting and what to do); the latest report per platform wins."""
    platform = str(platform)
    value = json.dumps({"message": message, "reported_at": datetime.now(UTC).isoformat()})
    await redis.set(_key(platform), value, ex=TTL_S)
    if (platform, message) not in _logged:
        _logged.add((platform, message))
        log.error("configuration problem", platform=platform, problem=message)


async def clear(redis: Redis, platform: str) -> None:
    """`platform`'s configuration just worked: forget its problem."""
    platform = str(platform)
    await redis.delete(_key(platform))
    # Should it break again, that is news again.
    _logged.difference_update({entry for entry in _logged if entry[0] == platform})


# What a problem can be about: a platform's settings, or the key that decrypts stored credentials.
SUBJECTS = (*(platform.value for platform in Platform), "secret_key")


async def current(redis: Redis) -> dict[str, str]:
    """The problems now known, by platform (or `secret_key`), in one round trip."""
    platforms = list(SUBJECTS)
    values = await redis.mget([_key(platform) for platform in platforms])
    return {
        platform: _message(value)
        for platform, value in zip(platforms, values, strict=True)
        if value is not None
    }


def _message(value: bytes | str) -> str:
    text = value.decode() if isinstance(value, bytes) else value
    try:
        return str(json.loads(text)["message"])
    except (ValueError, KeyError, TypeError):
        return text  # written by hand, or by another version: show it as it is
