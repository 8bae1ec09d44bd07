"""Does a sponsored post say so? A caption check for the common disclosure hashtags (FTC, ASA,
and their German and French equivalents). Platforms' own paid-partnership labels are not
visible through their statistics APIs, so this is the check Sway can make."""

import re

DISCLOSURE_TAGS = frozenset(
    {
        "ad",
        "ads",
        "advert",
        "advertisement",
        "sponsored",
        "sponsor",
        "partner",
        "paidpartnership",
        "paidpartner",
        "brandpartner",
        "collab",
        "gifted",
        "werbung",
        "anzeige",
        "publicite",
        "sponsorise",
        "partenariat",
    }
)
HASHTAG = re.compile(r"#([\w.]+)", re.UNICODE)
MENTION = re.compile(r"@([\w.]+)", re.UNICODE)


def hashtags(text: str | None) -> set[str]:
    return {tag.lower().rstrip(".") for tag in HASHTAG.findall(text or "")}


def mentions(text: str | None) -> set[str]:
    return {handle.lower().rstrip(".") for handle in MENTION.findall(text or "")}


def check(caption: str | None, *, required: bool) -> dict:
    found = sorted(hashtags(caption) & DISCLOSURE_TAGS)
    return {"required": required, "compliant": bool(found) if required else None, "found": found}
