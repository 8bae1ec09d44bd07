"""Creator tiers by follower count (METRICS.md, "Account level")."""

from enum import StrEnum


class Tier(StrEnum):
    emerging = "emerging"
    nano = "nano"
    micro = "micro"
    mid = "mid"
    macro = "macro"
    mega = "mega"


# Lower bounds, highest first. An organization may override them in its settings.
PRESETS: dict[str, list[tuple[Tier, int]]] = {
    "default": [(Tier.mega, 500_000), (Tier.mid, 50_000), (Tier.micro, 5_000), (Tier.nano, 1_000)],
    "industry": [
        (Tier.mega, 1_000_000),
        (Tier.macro, 500_000),
        (Tier.mid, 100_000),
        (Tier.micro, 10_000),
        (Tier.nano, 1_000),
    ],
}


def tier_for(
    followers: int | None, boundaries: list[tuple[Tier, int]] | None = None
) -> Tier | None:
    if followers is None:
        return None
    for tier, lower in boundaries or PRESETS["default"]:
        if followers >= lower:
            return tier
    return Tier.emerging


def boundaries_from(setting: dict | None) -> list[tuple[Tier, int]]:
    """An organization's `settings["tiers"]` (already validated when it was set): a preset's
    name, or its own lower bounds. Absent or unreadable: the default preset."""
    setting = setting or {}
    if setting.get("boundaries"):
        pairs = [(Tier(b["tier"]), int(b["min_followers"])) for b in setting["boundaries"]]
        return sorted(pairs, key=lambda pair: pair[1], reverse=True)
    return PRESETS.get(setting.get("preset") or "default", PRESETS["default"])
