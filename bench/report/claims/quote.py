"""What an experiment page shows where its text discusses one of the memo's claims: the verdict's
label words, the headline figure exactly as the findings record has it, and a link to the claim
on 00-verdicts (CLAIMS.md rule 7: one canonical number per claim, quoted, never recomputed).

A page evaluates only its own claims (`findings(run, key, ...)`), the way `claims.record` does:
on the run, then judged on the run's other servers; so its quote is the record's entry."""
from __future__ import annotations

import html

from bench.report import claims
from bench.report.claims import core, text
from bench.results import store as results


def _evaluate(run: results.Run, modules) -> list[core.Finding]:
    ev = core.Evidence(run)
    missing = {m: [n for n in m.SPEC.needs if not run.has(n)] for m in modules}
    return [core.unmeasured(m.SPEC, missing[m]) if missing[m] else m.evaluate(ev) for m in modules]


def findings(run: results.Run, *keys: str, others: list[results.Run] | None = None) -> list[dict]:
    """The findings record's entries for `keys` (in the record's order), as `claims.record(run)`
    has them."""
    modules = [m for m in claims.MODULES if m.SPEC.key in keys]
    unknown = set(keys) - {m.SPEC.key for m in modules}
    if unknown:
        raise KeyError(f"no claim {', '.join(sorted(unknown))}; the claims are {', '.join(s.key for s in claims.SPECS)}")
    found = _evaluate(run, modules)
    for other in results.server_runs(run.path) if others is None else others:
        for f, theirs in zip(found, _evaluate(other, modules)):
            claims._across(f, theirs, results.server_label(run), results.server_label(other))
    return [f.record() for f in found]


def markdown(fs, key: str, verdicts: str = "00-verdicts.html") -> str:
    """The verdict on claim `key` as a page quotes it: `fs` is a findings record (dict) or its
    findings (a list, all or a page's own)."""
    f = next(x for x in (fs["findings"] if isinstance(fs, dict) else fs) if x["key"] == key)
    label = f'<span class="{text.CSS[f["label"]]}">**{html.escape(text.words(f), quote=False)}**</span>'
    figure = (f"Headline figure (the findings record): {f['figure_text']}." if f["figure_text"]
              else "No headline figure in this run.")
    return (f'<section class="answer claim-quote">\n\n'
            f'**The memo: “{html.escape(f["quote"], quote=False)}”.** Verdict: {label}. {figure} '
            f'[Its rule and all its evidence: 00-verdicts]({verdicts}#{text.anchor(key)}).\n\n</section>')
