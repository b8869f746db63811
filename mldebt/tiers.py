"""The tiers a project can be in, least to most demanding: what the portfolio accepts and the rubric sets targets for.

Kept apart, with nothing else, so the command line can offer them without
loading the portfolio's schema.
"""

from __future__ import annotations

from typing import Literal, get_args

Tier = Literal["research", "prototype", "production"]
TIERS: tuple[str, ...] = get_args(Tier)
DEFAULT_TIER: Tier = "prototype"
