"""Plan shapes from EXPLAIN (FORMAT JSON): a compact tree and the facts the RLS charts need."""
from __future__ import annotations

UID = ("current_setting", "auth.uid()")  # auth.uid() inlined: its body reads the claim setting
ROLE_CHECK = ("is_admin",)


def _walk(node: dict, depth: int = 0):
    yield depth, node
    for child in node.get("Plans", []):
        yield from _walk(child, depth + 1)


def _line(node: dict) -> str:
    parts = [node["Node Type"]]
    if node.get("Subplan Name"):
        parts.insert(0, f"[{node['Subplan Name']}]")
    if node.get("Index Name"):
        parts.append(f"using {node['Index Name']}")
    elif node.get("Relation Name"):
        parts.append(f"on {node['Relation Name']}")
    for key in ("Index Cond", "Recheck Cond", "Filter", "One-Time Filter"):
        if node.get(key):
            parts.append(f"{key.split()[0].lower()}: {_short(node[key])}")
    if "Actual Rows" in node:
        parts.append(f"(rows {node['Actual Rows']:g}, loops {node.get('Actual Loops', 1):g})")
    return " ".join(parts)


def _short(expr: str) -> str:
    """auth.uid()'s inlined body, spelled as the policy wrote it."""
    text = expr
    start = text.find("(COALESCE(NULLIF(current_setting('request.jwt.claim.sub'")
    while start >= 0:
        end = text.find("::uuid", start)
        if end < 0:
            break
        text = text[:start] + "auth.uid()" + text[end + len("::uuid"):]
        start = text.find("(COALESCE(NULLIF(current_setting('request.jwt.claim.sub'")
    return text


def summarize(explain: list) -> dict:
    """Shape facts from one EXPLAIN (FORMAT JSON) result; times and actual rows only with ANALYZE."""
    top = explain[0]
    nodes = list(_walk(top["Plan"]))
    filters = " ".join(n.get("Filter", "") for _, n in nodes)
    conds = " ".join(n.get("Index Cond", "") + n.get("Recheck Cond", "") for _, n in nodes)
    one_time_false = any(n.get("One-Time Filter") == "false" for _, n in nodes)
    initplan = any(str(n.get("Subplan Name", "")).startswith("InitPlan") for _, n in nodes)
    scans = [n["Node Type"] for _, n in nodes if n["Node Type"].endswith("Scan") and n.get("Relation Name")]
    per_row = [k for k in UID + ROLE_CHECK if k in filters]
    if one_time_false:
        shape = "no rows by policy (one-time filter false)"
    else:
        shape = " + ".join([scans[0] if scans else nodes[0][1]["Node Type"]]
                           + (["InitPlan"] if initplan else [])
                           + (["per-row policy filter"] if per_row else []))
    return {
        "shape": shape,
        "initplan": initplan,
        "per_row_filter": bool(per_row),
        "uid_in_index_cond": any(k in conds for k in UID),
        "one_time_false": one_time_false,
        "plan_rows": top["Plan"].get("Actual Rows"),
        "explain_exec_us": top["Execution Time"] * 1000 if "Execution Time" in top else None,  # ANALYZE only
        "plan_us": top.get("Planning Time", 0.0) * 1000,
        "plan_text": "\n".join("  " * d + _line(n) for d, n in nodes),
    }
