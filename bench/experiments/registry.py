"""The experiments a run can choose, by name, in the order they run."""
from __future__ import annotations

from bench.experiments import (
    caching,
    concurrency,
    cross_service,
    dataset,
    evolution,
    integrity,
    locks,
    pooler,
    read_paths,
    rls,
)

REGISTRY = {m.NAME: m for m in (dataset, read_paths, concurrency, locks, integrity, rls, cross_service, evolution,
                                 caching, pooler)}
