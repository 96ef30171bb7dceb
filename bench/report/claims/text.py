"""The findings in words, for every page that quotes them (00, the front page, the README, the
comparison figure): each from the findings record, never recomputed."""
from __future__ import annotations

import html

from bench.report import figindex
from bench.report.claims import core

CSS = {core.RIGHT: "verdict-right", core.REAL: "verdict-right", core.RIGHT_WHEN: "verdict-only",
       core.REAL_WHEN: "verdict-only", core.WRONG: "verdict-wrong", core.ABSENT: "verdict-wrong",
       core.UNDECIDED: "verdict-tie", core.NOT_MEASURED: "verdict-none"}


def words(f: dict) -> str:
    """The label as a reader hears it, with its condition."""
    label, cond = f["label"], f.get("condition", "").rstrip(".")
    if label in core.CONDITIONAL:
        return f"{'Right only when' if label == core.RIGHT_WHEN else 'The cost is real only when'} {cond}"
    return {core.RIGHT: "Right", core.WRONG: "Wrong", core.UNDECIDED: "Undecided", core.REAL: "The cost is real",
            core.ABSENT: "The cost does not appear", core.NOT_MEASURED: "Not measured by this run"}[label]


def short(f: dict) -> str:
    """The label alone (no condition): for tables and counts."""
    return f["label"]


def anchor(key: str) -> str:
    return "claim-" + key.replace("_", "-")


def counts(fs: list[dict]) -> str:
    """'Of the memo's 10 claimed advantages: 1 right, 3 right only when ..., ...; of its 4 admitted costs: ...'."""
    def part(group, labels):
        n = {lab: sum(f["label"] == lab for f in group) for lab in (*labels, core.NOT_MEASURED)}
        return ", ".join(f"{v} {k}" for k, v in n.items() if v)
    adv = [f for f in fs if not f["cost"]]
    cost = [f for f in fs if f["cost"]]
    return (f"Of the memo's {len(adv)} claimed advantages: {part(adv, core.ADVANTAGE_LABELS)}; of the {len(cost)} "
            f"costs it admits: {part(cost, core.COST_LABELS)}.")


def figure_pages() -> dict[str, str]:
    return {fig: stem for stem, figs in figindex.saved_by_notebook().items() for fig in figs}


def figure_link(fig_id: str, pages: dict[str, str]) -> str:
    stem = pages.get(fig_id)
    return f"[{fig_id}]({stem}.html#{fig_id})" if stem else f"[{fig_id}](figures/{fig_id}.svg)"


def claims_markdown(fs: list[dict]) -> str:
    """Claim by claim: the rule in one sentence beside the verdict, the canonical figure, what was
    measured, the attribution, what is reported beside, the evidence."""
    pages = figure_pages()
    out = []
    for f in fs:
        figs = ", ".join(figure_link(x, pages) for x in f["figures"]) or "none yet"
        out.append(f'<h3 id="{anchor(f["key"])}">“{html.escape(f["quote"])}”</h3>\n\n'
                   f'*{f["where"]}* · <span class="{CSS[f["label"]]}">**{html.escape(words(f))}**</span>\n\n'
                   f'Rule: {f["rule"]}\n\n'
                   + (f'Headline: {f["figure_text"]}.\n\n' if f["figure_text"] else "")
                   + f'{f["answer"]}\n\n'
                   + (f'Attribution: {f["attribution"]}.\n\n' if f["attribution"] else "")
                   + (f'Beside the verdict: {f["beside"]}\n\n' if f["beside"] else "")
                   + (f'Not decided: {f["condition"]}.\n\n' if f["condition"] and f["label"] not in core.CONDITIONAL
                      else "")
                   + (f'Also judged on {f["other_servers"].strip()}\n\n' if f.get("other_servers") else "")
                   + f"Evidence: {figs}\n")
    return "\n".join(out)


def table_html(fs: list[dict], page: str = "") -> str:
    rows = []
    for f in fs:
        rows.append(f'<tr><td><a href="{page}#{anchor(f["key"])}">“{html.escape(f["quote"])}”</a></td>'
                    f'<td class="{CSS[f["label"]]}"><strong>{html.escape(words(f))}</strong></td>'
                    f'<td>{html.escape(f["figure_text"])}</td><td>{html.escape(f["attribution"])}</td></tr>')
    return ('<table class="reader verdicts"><thead><tr><th>the memo says</th><th>verdict</th><th>headline figure</th>'
            f'<th>attribution</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def bottom_line_html(fs: list[dict], page: str = "00-verdicts.html") -> str:
    items = [f'<li><a href="{page}#{anchor(f["key"])}">{html.escape(f["quote"])}</a>: '
             f'{html.escape(f["advice"][0].upper() + f["advice"][1:].rstrip("."))}.</li>' for f in fs if f["advice"]]
    return (f"<p>{html.escape(counts(fs))} Latency verdicts are median statements (mean and p95 beside); every label "
            f"follows from its claim's rule.</p>"
            + ("<p>What the measurements say to do instead:</p><ul>" + "".join(items) + "</ul>" if items else ""))


def _quiet(text: str) -> str:
    return "".join(ch for ch in text if ch not in "✅❌⚠️✔✖").strip()


def comparison_markdown(fs: list[dict], memo_table: dict) -> str:
    by_row = {f["row"]: f for f in fs if f["row"]}
    lines = ["| Aspect | memo: star | memo: relational | memo recommends | verdict | headline figure |",
             "|---|---|---|---|---|---|"]
    for aspect, (star, rel, rec) in memo_table.items():
        f = by_row.get(aspect)
        w = f"[{words(f)}](#{anchor(f['key'])})" if f else "Not measured by this run"
        lines.append(f"| **{aspect}** | {_quiet(star)} | {_quiet(rel)} | {_quiet(rec)} | **{w}** | "
                     f"{f['figure_text'] if f else ''} |")
    return "\n".join(lines)
