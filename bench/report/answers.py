"""The front page's three answers to an architect's questions, each in a few sentences quoted
from the findings record (never recomputed): one request or Promise.all, and from which round
trip on it stops mattering; which RLS policy and index to write and what RLS costs; what goes
wrong with separate writes and missing keys, and what to do."""
from __future__ import annotations

import html
import re

# Typical round trips of a client to its database (not measured here): the run's RTT stages.
DEPLOYMENTS = {0.0: "same host", 0.5: "same zone", 2.0: "same region, across zones", 10.0: "a nearby region",
               40.0: "another continent"}
CALLS = ("faster", "slower", "equivalent", "undecided")
SEGMENT = re.compile(r"(?:called )?(faster|slower|equivalent|undecided) (.*?)(?=; (?:faster|slower|equivalent|undecided) |"
                     r"\. Headline|$)")
RTT = re.compile(r"RTT ((?:[\d.]+(?:, )?)+) ms")


def rtts_by_call(answer: str) -> dict[str, set[float]]:
    """From a read claim's answer ('called faster nowhere; slower ...: light users at RTT 0, 2 ms;
    ...; equivalent ...; undecided ...'): the RTTs at which some cell got each call."""
    body = answer.split(": ", 1)[1] if ": " in answer else answer
    body = body.split(". Headline", 1)[0]
    out = {c: set() for c in CALLS}
    for call, seg in SEGMENT.findall(body):
        for group in RTT.findall(seg):
            out[call] |= {float(x) for x in group.split(", ") if x}
    return out


def where(rtt: float) -> str:
    return f"{rtt:g} ms ({DEPLOYMENTS[rtt]})" if rtt in DEPLOYMENTS else f"{rtt:g} ms"


def stops_mattering(calls: dict[str, set[float]]) -> float | None:
    """The smallest measured RTT from which on no cell is called slower (None: slower up to the last)."""
    measured = sorted(set().union(*calls.values()))
    slower = calls["slower"]
    if not measured or (slower and max(slower) == measured[-1]):
        return None
    return next(r for r in measured if not any(s >= r for s in slower))


def _label(f: dict) -> str:
    from bench.report.claims import text
    return text.words(f)


def _link(f: dict, page: str) -> str:
    from bench.report.claims import text
    return f'<a href="{page}#{text.anchor(f["key"])}">{html.escape(f["quote"])}</a>'


def _sentence(answer: str, starts: str) -> str:
    """The first sentence of `answer` that starts with `starts` (without it), or ''."""
    for s in re.split(r"\. (?=[A-Z])", answer):
        if s.startswith(starts):
            return s[len(starts):].strip().rstrip(".")
    return ""


def parallel(by: dict, page: str) -> str:
    p, seq = by.get("parallel"), by.get("no_joins")
    if not p or not p.get("figure_text"):
        return ""
    cp = rtts_by_call(p["answer"])
    from_ = stops_mattering(cp)
    parts = [f"<p>{_link(p, page)}: <strong>{html.escape(_label(p))}</strong>. Headline: "
             f"{html.escape(p['figure_text'])}.</p>"]
    slower = sorted(cp["slower"])
    said = f"Promise.all is called slower than one request at {', '.join(where(r) for r in slower)}. " if slower else ""
    if from_ is None:
        said += "It stays slower up to the largest round trip measured."
    else:
        calls = [f"{c} at {' and '.join(f'{r:g}' for r in sorted(x for x in cp[c] if x >= from_))} ms"
                 for c in ("equivalent", "undecided") if any(x >= from_ for x in cp[c])]
        said += (f"From {where(from_)} on, no measured cell calls it slower"
                 + (f": its cells are {', or '.join(calls)}" if calls else "") + ".")
    parts.append(f"<p>{said}</p>")
    if seq and seq.get("figure_text"):
        cs = rtts_by_call(seq["answer"])
        seq_from = stops_mattering(cs)
        tail = ("at every round trip measured" if seq_from is None else f"until {where(seq_from)}")
        parts.append(f"<p>The memo's three queries in turn ({_link(seq, page)}: <strong>{html.escape(_label(seq))}"
                     f"</strong>) stay slower {tail}: {html.escape(seq['figure_text'])}.</p>")
    advice = (seq or {}).get("advice") or p.get("advice")
    if advice:
        parts.append(f"<p><strong>Do:</strong> {html.escape(advice[0].upper() + advice[1:].rstrip('.'))}.</p>")
    parts.append("<p class=table-note>Round trips as deployments: 0 ms same host, 0.5 ms same zone, 2 ms same region "
                 "across zones, 10 ms a nearby region, 40 ms another continent. These are typical figures, not "
                 "measured here; the run injects each RTT with a delay proxy.</p>")
    return "".join(parts)


def rls(by: dict, page: str) -> str:
    r, o = by.get("rls"), by.get("oauth")
    if not r or not r.get("figure_text"):
        return ""
    parts = [f"<p>{_link(r, page)}: <strong>{html.escape(_label(r))}</strong>. Headline: "
             f"{html.escape(r['figure_text'])}.</p>"]
    if r.get("advice"):
        parts.append(f"<p><strong>Write:</strong> {html.escape(r['advice'][0].upper() + r['advice'][1:].rstrip('.'))}"
                     ". The memo's DDL creates no index on <code>user_id</code>: create one on every spoke, because "
                     "each policy <code>auth.uid() = user_id</code> filters on it.</p>")
    cost = _sentence(r["answer"], "Cost at scale ")
    if cost:
        scale, _, rest = cost.partition(": ")
        parts.append(f"<p><strong>What RLS costs</strong> (scale {html.escape(scale)}): {html.escape(rest)}. "
                     f"Without the index every read scans the spoke (02, "
                     f'<a href="02-read-paths.html#fig-readpaths-index-cost">fig-readpaths-index-cost</a>; 05, '
                     f'<a href="05-rls.html#fig-rls-index-filter">fig-rls-index-filter</a>).</p>')
    if o and o.get("figure_text"):
        parts.append(f"<p>{_link(o, page)}: <strong>{html.escape(_label(o))}</strong> ({html.escape(o['figure_text'])})."
                     "</p>")
    return "".join(parts)


def writes(by: dict, page: str) -> str:
    parts = []
    for key in ("app_consistency", "orphans", "integrity"):
        f = by.get(key)
        if f and f.get("figure_text"):
            do = (f" <strong>Do:</strong> {html.escape(f['advice'][0].upper() + f['advice'][1:].rstrip('.'))}."
                  if f.get("advice") else "")
            parts.append(f"<li>{_link(f, page)}: <strong>{html.escape(_label(f))}</strong>. "
                         f"{html.escape(f['figure_text'])}.{do}</li>")
    o = by.get("orphans")
    fix = _sentence(o["answer"], "Deleting ") if o else ""
    i = by.get("integrity")
    out = "<ul>" + "".join(parts) + "</ul>" if parts else ""
    if fix:
        out += (f"<p><strong>Keys:</strong> deleting {html.escape(fix)}: declare the reference as a foreign key "
                "(<code>ON DELETE SET NULL</code> or <code>CASCADE</code>) instead of a soft pointer.")
        out += (f" {html.escape(i['beside'])}</p>" if i and i.get("beside") else "</p>")
    pl = by.get("parallel_load")
    if pl and pl.get("beside"):
        out += f"<p><strong>Separate reads</strong> are not one snapshot either. {html.escape(pl['beside'])}</p>"
    return out


QUESTIONS = (("answer-parallel", "One request or Promise.all?", parallel),
             ("answer-rls", "Which RLS policy and index, and what does RLS cost?", rls),
             ("answer-writes", "What goes wrong with separate writes and missing keys?", writes))


def html_answers(fs: list[dict], page: str = "00-verdicts.html") -> str:
    by = {f["key"]: f for f in fs}
    out = []
    for anchor, question, fn in QUESTIONS:
        body = fn(by, page)
        if body:
            out.append(f'<section class="answer" id="{anchor}"><h2><a href="#{anchor}">{html.escape(question)}</a></h2>'
                       f"{body}</section>")
    return "".join(out)
