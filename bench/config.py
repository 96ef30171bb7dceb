"""Named scales, defaults and paths. No side effects at import."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
PG_HOME = DATA / "pg"
RESULTS = DATA / "results"
REFERENCE = DATA / "reference"
REPORTS = REPO / "reports"
NOTEBOOKS = REPO / "notebooks"

DEFAULT_SCALE = "m"
DEFAULT_SEED = 42
DEFAULT_LOCALE = "en_US"
DSN_ENV = "BENCH_DSN"


@dataclass(frozen=True)
class Scale:
    name: str
    users: int
    chat_domain: bool  # seed message_cache / session_shares / session_analytics
    note: str = ""


SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        Scale("xs", 1_000, True, "tests"),
        Scale("s", 10_000, True),
        Scale("m", 100_000, True, "default"),
        Scale("l", 1_000_000, False, "chat domain left empty to fit 2 cores / 5 minutes"),
        Scale("xl", 10_000_000, False, "bigger machines and external servers only"),
    )
}


@dataclass(frozen=True)
class Shapes:
    """Fan-out shapes of the seeded data (see README, 'The data')."""

    roles_p: tuple[float, ...] = (0.80, 0.15, 0.05)  # P(1 role), P(2), P(3)
    audit_median: float = 10.0  # lognormal median of audit rows per user
    audit_sigma: float = 1.1  # lognormal sigma: tail into the thousands at m and l
    audit_cap: int = 20_000
    sessions_mean: float = 5.0  # geometric on 0, 1, 2, ... with this mean
    messages_mean: float = 4.0  # per chat session (chat domain only)
    share_fraction: float = 0.10  # sessions shared once
    history_days: int = 730  # signups and activity spread over two years
    epoch: str = "2024-01-01T00:00:00+00:00"  # fixed: data must not depend on today's date


SHAPES = Shapes()


SCALE_ORDER: tuple[str, ...] = tuple(SCALES)  # smallest first; the only place the order is written


def ordered(scales) -> list[str]:
    """The given scale names, smallest first."""
    return sorted(set(scales), key=SCALE_ORDER.index)


def largest(scales) -> str:
    return ordered(scales)[-1]


class UsageError(Exception):
    """Bad input from the user: the CLI prints it on one line and exits 2."""


def scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise UsageError(f"unknown scale {name!r}: choose one of {', '.join(SCALES)}") from None


def dsn_from_env() -> str | None:
    return os.environ.get(DSN_ENV) or None
