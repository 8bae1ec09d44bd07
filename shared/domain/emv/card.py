"""The rate card an EMV figure is computed with: per platform, a value per unit of each count."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class RateCard:
    # 0 is the built-in default card (docs/metrics.md, "EMV"); an organization's own edits are
    # versions 1, 2, …
    version: int
    currency: str
    # platform -> count name (views, impressions, reach, likes, comments, shares, saves, clicks)
    # -> value of one unit of it, in `currency`.
    rates: Mapping[str, Mapping[str, Decimal]]

    def for_platform(self, platform: str) -> Mapping[str, Decimal]:
        return self.rates.get(platform, {})
