"""Who clicked, without keeping who: a visitor is the SHA-256 of the day's salt, the client's IP
and its user agent. The salt is random, made once per UTC day in Redis (shared by every API
process, so a visitor is one visitor whichever process served them), cached in the process for
that day and then dropped; it expires from Redis after about two days. Once a day's salt is
gone, that day's hashes cannot be tied back to an IP, even by trying every address.

Known bots (the crawlerdetect list) are recorded but flagged, and the counts leave them out."""

import hashlib
import secrets
from datetime import date, datetime

from crawlerdetect import CrawlerDetect
from redis.asyncio import Redis

# What a click keeps of its headers, cut to these lengths (in characters).
MAX_REFERRER = 2048
MAX_USER_AGENT = 512
# Long enough to outlive the day for every process (clock skew, a request at 23:59:59).
SALT_TTL_S = 2 * 24 * 3600
SALT_KEY = "sway:link-salt:{day}"

_detector = CrawlerDetect()


def is_bot(user_agent: str | None) -> bool:
    """A known crawler, or no user agent at all (every browser sends one)."""
    if not user_agent or not user_agent.strip():
        return True
    return _detector.is_crawler(user_agent)


def clip(value: str | None, limit: int) -> str | None:
    """A header as kept: at most `limit` characters, no NUL (Postgres text cannot hold it)."""
    if not value:
        return None
    return value.replace("\x00", "")[:limit] or None


def visitor_hash(salt: bytes, address: str, user_agent: str | None) -> str:
    digest = hashlib.sha256(salt)
    digest.update(b"\x00" + address.encode() + b"\x00" + (user_agent or "").encode())
    return digest.hexdigest()


class DailySalt:
    """The current UTC day's salt, fetched from Redis once per day per process."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._day: date | None = None
        self._salt = b""

    async def today(self, now: datetime) -> bytes:
        day = now.date()
        if day != self._day:
            self._salt = await self._shared(day)
            self._day = day  # yesterday's salt is forgotten here
        return self._salt

    async def _shared(self, day: date) -> bytes:
        key = SALT_KEY.format(day=day.isoformat())
        # The first process of the day makes it; every other one reads that one.
        await self.redis.set(key, secrets.token_hex(32), nx=True, ex=SALT_TTL_S)
        salt = await self.redis.get(key)
        return salt if isinstance(salt, bytes) else str(salt).encode()
