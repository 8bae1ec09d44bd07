"""Canonical profile URLs, built from a handle (the inverse of urls.parse_profile_url)."""

import unicodedata
from urllib.parse import quote

from shared.platforms.base import Platform

PROFILE_URLS: dict[Platform, str] = {
    Platform.instagram: "https://www.instagram.com/{handle}/",
    Platform.facebook: "https://www.facebook.com/{handle}",
    Platform.youtube: "https://www.youtube.com/@{handle}",
    Platform.tiktok: "https://www.tiktok.com/@{handle}",
    Platform.x: "https://x.com/{handle}",
    Platform.linkedin: "https://www.linkedin.com/company/{handle}/",
    Platform.pinterest: "https://www.pinterest.com/{handle}/",
    Platform.demo: "https://demo.sway.test/@{handle}",
}


def profile_url(platform: str | Platform, handle: str) -> str:
    # Always escaped, whatever validated the handle: a "/", "?" or "#" that got this far must
    # stay inside the path segment instead of pointing the link somewhere else.
    return PROFILE_URLS[Platform(platform)].format(handle=quote(handle.lstrip("@"), safe=""))


def handle_key(handle: str) -> str:
    """What makes two handles the same account: NFKC and full case folding (NFKC_Casefold), so
    "İstanbul" and "i̇stanbul", or "ＡＤＡ" and "ada", are one handle. lower() is not enough: it
    leaves compatibility forms and some case pairs apart. Computed here, not in SQL, so
    Postgres' locale never changes what counts as a duplicate."""
    folded = unicodedata.normalize("NFKC", handle.lstrip("@")).casefold()
    return unicodedata.normalize("NFKC", folded)
