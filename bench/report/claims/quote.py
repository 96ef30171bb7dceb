"""What an experiment page shows where its text discusses one of the memo's claims: the verdict's
label words, the headline figure exactly as the findings record has it, and a link to the claim
on 00-verdicts (CLAIMS.md rule 7: one canonical number per claim, quoted, never recomputed).

A page evaluates only its own claims (`findings(run, key, ...)`), the way `claims.record` does:
on the run, then judged on the run's other servers; so its quote is the record's entry."""
from __future__ import annotations

import html

from bench.report import claims
from bench.report.claims import text
from bench.results import store as results


def findings(run: results.Run, *keys: str, others: list[results.Run] | None = None) -> list[dict]:
    """The findings record's entries for `keys` (in the record's order), as `claims.record(run)`
    has them."""
    return [f.record() for f in claims.evaluate(run, others, keys=keys)]


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
