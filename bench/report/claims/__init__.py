"""The memo's claims, one module each (CLAIMS.md): the registry, their evaluation on a run, and
the findings record every page quotes from (`record`, written once by rendering as
findings.json beside the pages).

Adding a claim: one module with SPEC, `decide` and `evaluate(ev) -> Finding`, and one line in
MODULES.
"""
from __future__ import annotations

import json
from pathlib import Path

from bench.report.claims import (
    app_consistency,
    business_queries,
    caching,
    core,
    evolution,
    integrity,
    locking,
    microservices,
    no_complex_joins,
    no_joins,
    oauth,
    orphans,
    parallel,
    parallel_load,
    rls,
)
from bench.results import store as results

MODULES = (no_joins, parallel, parallel_load, no_complex_joins, rls, oauth, microservices, evolution, caching, locking,
           integrity, app_consistency, business_queries, orphans)
SPECS = tuple(m.SPEC for m in MODULES)
FILENAME = "findings.json"

MEMO_TABLE = {  # the memo's Pattern Comparison rows: star entry, relational entry, its recommendation
    "OAuth Isolation": ("✅ Perfect", "⚠️ Complex", "✅ Keep Star"),
    "User-Centric Queries": ("✅ Lightning Fast", "❌ Slow JOINs", "✅ Keep Star"),
    "Microservices": ("✅ Excellent", "❌ Tight Coupling", "✅ Keep Star"),
    "RLS Simplicity": ("✅ Dead Simple", "❌ Complex Policies", "✅ Keep Star"),
    "Schema Evolution": ("✅ Easy to Add Tables", "⚠️ Migration Complexity", "✅ Keep Star"),
    "Data Integrity": ("⚠️ App Managed", "✅ DB Enforced", "🤔 Accept Trade-off"),
}


def evaluate_one(run: results.Run, modules=None) -> list[core.Finding]:
    ev = core.Evidence(run)
    out = []
    for m in MODULES if modules is None else modules:
        missing = [n for n in m.SPEC.needs if not run.has(n)]
        out.append(core.unmeasured(m.SPEC, missing) if missing else m.evaluate(ev))
    return out


def _across(f: core.Finding, theirs: core.Finding, here: str, there: str) -> None:
    """A claim labelled otherwise on another server: conditional on the server where the memo
    stands (CLAIMS.md rule 4: a condition may name a server)."""
    f.other_servers += f"{there}: {theirs.label}. "
    if theirs.label == f.label or core.NOT_MEASURED in (theirs.label, f.label):
        return
    when = core.REAL_WHEN if f.cost else core.RIGHT_WHEN
    good = core.FOR_MEMO + core.CONDITIONAL  # conditional on the server only where the other is decided against
    if f.label in good and theirs.label in core.AGAINST_MEMO:
        f.label, f.condition = when, f"the server is {here}" + (f" and {f.condition}" if f.condition else "")
    elif theirs.label in good and f.label in core.AGAINST_MEMO:
        f.label, f.condition = when, f"the server is {there}" + (f" and {theirs.condition}" if theirs.condition else "")


def evaluate(run: results.Run, others: list[results.Run] | None = None, keys=None) -> list[core.Finding]:
    """The fourteen findings of `run` (or those of `keys`, in the record's order), each also judged
    on the run's other servers."""
    modules = None
    if keys is not None:
        modules = [m for m in MODULES if m.SPEC.key in keys]
        unknown = set(keys) - {m.SPEC.key for m in modules}
        if unknown:
            raise KeyError(f"no claim {', '.join(sorted(unknown))}; the claims are {', '.join(s.key for s in SPECS)}")
    found = evaluate_one(run, modules)
    others = results.server_runs(run.path) if others is None else others
    for other in others:
        for f, theirs in zip(found, evaluate_one(other, modules)):
            _across(f, theirs, results.server_label(run), results.server_label(other))
    return found


def record(run: results.Run, others: list[results.Run] | None = None) -> dict:
    """The findings record: the run, and per claim its spec, label, condition, attribution and
    canonical figure."""
    m = run.meta
    return {"run": run.id, "git_sha": m.get("git_sha", ""), "scale": m.get("scale"),
            "postgresql": m.get("versions", {}).get("postgresql", "?"), "cores": m.get("machine", {}).get("cores", "?")
            if isinstance(m.get("machine"), dict) else "?",
            "findings": [f.record() for f in evaluate(run, others)]}


def write(out_dir: Path, rec: dict) -> Path:
    path = Path(out_dir) / FILENAME
    path.write_text(json.dumps(rec, indent=1, ensure_ascii=False, default=float) + "\n")
    return path


def read(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def findings(source) -> list[dict]:
    """The findings of a record (dict), a findings.json path, or a run (evaluated now)."""
    if isinstance(source, dict):
        return source["findings"]
    if isinstance(source, (str, Path)):
        return read(source)["findings"]
    return record(source)["findings"]


def table(run: results.Run, others: list[results.Run] | None = None):
    """One row per claim: key, quote, where, label, condition, other_servers (09-servers)."""
    import pandas as pd

    return pd.DataFrame([{k: f[k] for k in ("key", "quote", "where", "label", "condition", "other_servers")}
                         for f in (x.record() for x in evaluate(run, others))])
