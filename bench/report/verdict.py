"""The one Verdict type every claim's evaluation returns, and the verdict values."""
from __future__ import annotations

from dataclasses import dataclass, field

HOLDS, ONLY_WHEN, DOES_NOT_HOLD, NOT_COVERED = "holds", "holds only when", "does not hold", "not covered"


@dataclass
class Verdict:
    answer: str  # what was measured, in a sentence or two, with scale and conditions
    verdict: str  # one of the values above
    flips: str = ""  # the condition under which it holds (ONLY_WHEN), or when it would flip
    figures: list[str] = field(default_factory=list)  # evidence figure ids
    advice: str = ""  # what the run recommends instead, computed from it (the bottom line), if anything
