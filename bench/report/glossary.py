"""The report's jargon, explained once; each page links a term's first use here."""
from __future__ import annotations

import html
import re

TERMS = {  # term -> explanation (the anchor is the slug of the term)
    "bundle": "The data one screen needs for one user, e.g. 'account': the profile, the roles and the audit log. "
              "Every strategy fetches the same bundle and must return the identical answer before it is timed.",
    "spoke": "A table that references a user (profiles, user_roles, auth_audit_log, ...). In the memo's star schema "
             "every spoke references auth.users directly, like spokes of a wheel around its hub.",
    "envelope": "What PostgREST wraps around every request: a transaction that sets the role and the JWT claims "
                "(set_config), then the query, then COMMIT. Cells 'through PostgREST's envelope' pay it.",
    "RTT": "Round-trip time: how long a message takes from the client to the server and back. Injected here by "
           "the suite's own TCP delay proxy; the pages show the delay it measurably added.",
    "p50": "The median: half of the requests were faster. p95 / p99: 95 % / 99 % of the requests were faster. "
           "Percentiles come from HdrHistograms of all samples, never from averaged percentiles.",
    "equivalent": "The whole 95 % interval of the ratio lies inside the margin (10 %): no difference worth the "
                  "name, decided.",
    "undecided": "The 95 % interval of the ratio straddles the margin: the data cannot say which side is faster, "
                 "so neither is called faster (never a win or a loss).",
    "attribution": "Whether a verdict belongs to the star: 'star-specific' where the relational variant measures "
                   "otherwise, 'shared' where it measures the same (then it is not a property of the star).",
    "findings record": "findings.json beside the pages: each claim's label, condition, attribution and headline "
                       "figure, written once by rendering; the README, the front page and 00 quote it.",
    "multixact": "A PostgreSQL record of several transactions locking one row at once (e.g. many inserts into "
                 "spokes, each taking FOR KEY SHARE on the same auth.users row). Many of them cost I/O and vacuum work.",
    "fast-path": "PostgreSQL takes up to 16 relation locks per backend in a cheap per-backend array (the fast "
                 "path; more on 18) and the rest in the shared lock manager, which can contend under load.",
    "InitPlan": "A sub-select PostgreSQL evaluates once per statement, not once per row: why "
                "`(select auth.uid())` is cheaper than `auth.uid()` where the planner does not inline the call.",
    "one-time filter": "A condition the planner evaluates once before scanning (e.g. an InitPlan's result) "
                       "instead of on every row.",
    "coordinated omission": "The error of timing requests from when they were sent rather than when they "
                            "should have been sent: a stalled client sends fewer requests and hides the stall. "
                            "Open-loop cells time from the intended start to avoid it.",
    "open loop": "Load where requests arrive on a schedule (Poisson arrivals) whatever the server does; latency "
                 "is timed from the intended start. Closed loop: a fixed number of clients, each sending its next "
                 "request when the last one returned.",
    "saturation": "The highest throughput a strategy reached in the closed loop as clients grew.",
    "torn read": "A bundle assembled from several statements that saw the data at different moments (three "
                 "snapshots), so its parts disagree: e.g. a role without its audit entry.",
    "orphan": "A row whose user (or parent row) no longer exists, or never did.",
    "fan-out": "How many rows a user has in a spoke (roles per user, audit rows per user).",
    "json_agg": "PostgreSQL's aggregate that builds a JSON array from rows: how PostgREST embeds a to-many "
                "relation in one statement (LEFT JOIN LATERAL (SELECT json_agg(...))).",
    "pipeline mode": "libpq's way to send several statements without waiting for each result: three queries "
                     "in one round trip on one connection.",
    "client-bound": "A load cell where the client (or the delay proxy), not PostgreSQL, used up the CPU: its "
                    "numbers describe the client, and no verdict rests on it.",
}


def slug(term: str) -> str:
    return "term-" + re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


def page_content() -> str:
    items = "".join(f'<dt id="{slug(t)}"><strong>{html.escape(t)}</strong></dt><dd>{html.escape(d)}</dd>'
                    for t, d in sorted(TERMS.items(), key=lambda kv: kv[0].lower()))
    return f"<h1>Glossary</h1><p>The report's terms, each linked from its first use on a page.</p><dl>{items}</dl>"


SKIP = re.compile(r"<(a|code|pre|script|style|h[1-6]|summary|title|nav|th)\b.*?</\1>", re.S | re.I)


def link_terms(body: str) -> str:
    """Link the first use of each glossary term in the page's prose (not inside links, code,
    headings or tables' headers) to its entry."""
    start = body.find("<main") if "<main" in body else body.find("<body")
    head, rest = body[:start], body[start:]
    done: set[str] = set()
    for term in sorted(TERMS, key=len, reverse=True):
        pattern = re.compile(r"(?<![\w-])(" + re.escape(term) + r")(?![\w-])", re.I)
        protected = [(m.start(), m.end()) for m in SKIP.finditer(rest)]
        for m in pattern.finditer(rest):
            inside_tag = rest.rfind("<", 0, m.start()) > rest.rfind(">", 0, m.start())
            if inside_tag or any(a <= m.start() < b for a, b in protected):
                continue
            link = f'<a class="term" href="glossary.html#{slug(term)}">{m.group(1)}</a>'
            rest = rest[:m.start()] + link + rest[m.end():]
            done.add(term)
            break
    return head + rest
