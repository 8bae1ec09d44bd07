"""The default engagement-rate benchmarks per platform and tier (docs/vetting.md, "Benchmarks"),
each with the study it comes from (../shared/reference/landscape.md, section 3) and how that
study defined the rate. Where no study gives a tier, the row says how its value was derived.

Sway's own account rate is engagements (likes + comments + shares + saves) / followers, the
median of the last 12 settled posts (METRICS.md); most studies count likes and comments only,
so Sway's rate reads somewhat higher than theirs where shares and saves are reported. Studies
also differ in sample (creators or brand accounts, organic or sponsored): the `definition` and
`source` of each row say which, so an organization can judge a default and replace it."""

from dataclasses import dataclass

from shared.metrics.tiers import Tier
from shared.platforms.base import Platform

SWAY_DEFINITION = "engagements/followers"
LIKES_COMMENTS = "(likes+comments)/followers"


@dataclass(frozen=True)
class Benchmark:
    platform: str
    tier: str
    engagement_rate: float
    definition: str
    source: str


def _rounded(rate: float) -> float:
    return float(f"{rate:.3g}")


# Instagram, the best-studied platform, also gives the tier shape borrowed by platforms whose
# studies give one number only.
_IG_NANO = 0.0278
_IG_FLAT = 0.0158  # HypeAuditor: every tier from 20K up within 1.54-1.62 %
_HA_2023 = (
    "HypeAuditor State of Influencer Marketing 2023 (trade summary): Instagram nano (1-10K) "
    "2.78 %, (likes+comments)/followers"
)
_HA_EARLY = (
    "HypeAuditor blog (early), 36k Instagram influencers in 6 tiers: every tier from 20K to "
    "1M+ between 1.54 % and 1.62 % (likes+comments)/followers; the midpoint, 1.58 %"
)
_MARKERLY = (
    "Derived: Instagram nano (2.78 %, HypeAuditor 2023) x 2, the ratio of Markerly's (2016) "
    "<1K like-rate (about 8 %) to its 1-10K one (about 4 %); no study gives a recent <1K value"
)
# Emerging and nano over the flat upper tiers, as Instagram's studies show them.
_IG_SHAPE = {
    Tier.emerging: 2 * _IG_NANO / _IG_FLAT,
    Tier.nano: _IG_NANO / _IG_FLAT,
    Tier.micro: 1.0,
    Tier.mid: 1.0,
    Tier.macro: 1.0,
    Tier.mega: 1.0,
}

_INSTAGRAM = {
    Tier.emerging: (2 * _IG_NANO, _MARKERLY),
    Tier.nano: (_IG_NANO, _HA_2023),
    **{tier: (_IG_FLAT, _HA_EARLY) for tier in (Tier.micro, Tier.mid, Tier.macro, Tier.mega)},
}

# TikTok: nano from HypeAuditor, mega from Socialinsider; the tiers between interpolated
# geometrically (a constant ratio per tier step), since the rate falls by a factor, not a
# difference, as audiences grow.
_TT_NANO, _TT_MEGA = 0.126, 0.037
_TT_STEP = (_TT_MEGA / _TT_NANO) ** (1 / 4)
_TT_BETWEEN = (
    "Interpolated: geometric steps between TikTok nano 12.6 % (HypeAuditor 2023) and mega "
    f"3.70 % (Socialinsider 2026), a factor of {_TT_STEP:.3f} per tier"
)
_TIKTOK = {
    Tier.emerging: (
        _TT_NANO,
        "Derived: TikTok nano (12.6 %, HypeAuditor 2023) carried down; no study gives <1K",
    ),
    Tier.nano: (
        _TT_NANO,
        "HypeAuditor State of Influencer Marketing 2023 (trade summary): TikTok nano (1-10K) "
        "12.6 %, (likes+comments)/followers",
    ),
    Tier.micro: (_TT_NANO * _TT_STEP, _TT_BETWEEN),
    Tier.mid: (_TT_NANO * _TT_STEP**2, _TT_BETWEEN),
    Tier.macro: (_TT_NANO * _TT_STEP**3, _TT_BETWEEN),
    Tier.mega: (
        _TT_MEGA,
        "Socialinsider 2026 (via shortsintel): TikTok 3.70 % by followers, 70M posts of all "
        "sizes (mostly brand accounts); used for mega",
    ),
}


def _shaped(anchor: float, published: str, platform: str) -> dict[Tier, tuple[float, str]]:
    """One published number, for the upper tiers, with Instagram's tier shape below them."""
    derived = (
        f"Derived: {platform}'s published value ({anchor:.2%}, see the mega row) x "
        "Instagram's ratio of this tier to its upper tiers (nano 1.76, emerging 3.52)"
    )
    rows = {}
    for tier, factor in _IG_SHAPE.items():
        rows[tier] = (anchor * factor, published if factor == 1.0 else derived)
    return rows


_YOUTUBE = _shaped(
    0.016,
    "CreatorIQ / Tribe Dynamics 2023: YouTube mega (1M+) 1.6 % on sponsored posts (rate by "
    "views); Favikon's top-quartile YouTube threshold (>= 1.5 %) agrees; used from micro up",
    "YouTube",
)
_X = _shaped(
    0.0012,
    "Socialinsider 2026 (via shortsintel): X 0.12 % by followers, brand accounts (Rival IQ "
    "2023 gives 0.035 %); used from micro up: creators engage more than brands",
    "X",
)
_FACEBOOK = _shaped(
    0.0015,
    "Socialinsider 2026 (via shortsintel): Facebook 0.15 % by followers, brand accounts "
    "(Rival IQ 2023 gives 0.06 %); used from micro up: creators engage more than brands",
    "Facebook",
)


def _stand_in(platform: str) -> dict[Tier, tuple[float, str]]:
    return {
        tier: (
            rate,
            f"No study in landscape.md section 3 covers {platform}: Instagram's value used as "
            "a stand-in until the organization sets its own",
        )
        for tier, (rate, _) in _INSTAGRAM.items()
    }


# The demo platform's own arithmetic (shared/platforms/demo.py): a settled post's engagements
# are 1.11 x 6 % of 60 % of the base follower count (4.0 % of it), and a named-count handle's
# followers grow from 1.0 to 1.5 x its base, so its rate runs from 4.0 % down to 2.7 %.
_DEMO = {
    tier: (
        0.035,
        "Derived from the demo platform's formula: engagements = 1.11 x 6 % x 60 % = 4.0 % of "
        "the base followers, over followers of 1.0-1.5 x the base: 2.7-4.0 %; about 3.5 %",
    )
    for tier in Tier
}

_DEFINITIONS = {
    Platform.instagram: LIKES_COMMENTS,
    Platform.tiktok: LIKES_COMMENTS,
    Platform.youtube: "engagements/views (sponsored)",
    Platform.x: "engagements/followers (brands)",
    Platform.facebook: "engagements/followers (brands)",
    Platform.linkedin: LIKES_COMMENTS,
    Platform.pinterest: LIKES_COMMENTS,
    Platform.demo: SWAY_DEFINITION,
}

_TABLES = {
    Platform.instagram: _INSTAGRAM,
    Platform.tiktok: _TIKTOK,
    Platform.youtube: _YOUTUBE,
    Platform.x: _X,
    Platform.facebook: _FACEBOOK,
    Platform.linkedin: _stand_in("LinkedIn"),
    Platform.pinterest: _stand_in("Pinterest"),
    Platform.demo: _DEMO,
}


def _definition(platform: Platform, tier: Tier, source: str) -> str:
    # A derived TikTok emerging row or interpolated ones keep the anchors' definition; the
    # YouTube anchor is by views, its derived rows borrow Instagram's follower-based shape.
    if platform is Platform.youtube and not source.startswith("CreatorIQ"):
        return "derived (views and followers)"
    if platform is Platform.tiktok and tier is Tier.mega:
        return "engagements/followers (brands)"
    return _DEFINITIONS[platform]


DEFAULTS: dict[tuple[str, str], Benchmark] = {
    (platform.value, tier.value): Benchmark(
        platform.value, tier.value, _rounded(rate), _definition(platform, tier, source), source
    )
    for platform, table in _TABLES.items()
    for tier, (rate, source) in table.items()
}

# The order rows are listed in: platforms as Platform lists them, tiers from smallest.
TIER_ORDER = [Tier.emerging, Tier.nano, Tier.micro, Tier.mid, Tier.macro, Tier.mega]
PLATFORM_ORDER = list(Platform)
