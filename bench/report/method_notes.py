"""Markdown-ready text the 06-method page shows about how the rest path matches PostgREST
(the measuring side, bench/measure/postgrest_shapes.py, builds what these notes describe)."""
from __future__ import annotations

EMBED_NOTE = (
    "**What PostgREST allows.** PostgREST embeds a table only along a foreign key between exposed "
    "tables. In the pure star every spoke references `auth.users`, and the `auth` schema is not "
    "exposed, so `profiles?select=*,user_roles(*),auth_audit_log(*)` is refused with PGRST200 "
    "(\"Could not find a relationship between 'profiles' and 'user_roles' in the schema cache\"). "
    "On the relational variant (spokes reference `profiles`) PostgREST accepts it and sends the "
    "statement timed here; the text is the same on both variants (the foreign key only decides "
    "whether PostgREST generates it), so its cost measured on the star's data is the relational "
    "variant's request. A Supabase user on the star writes an RPC instead (`rpc_bundle`: one SQL "
    "function returning the bundle, `GET /rpc/get_account_bundle?uid=...`). Every node PostgREST "
    "builds carries `LIMIT 1000 OFFSET 0` (db-max-rows); a function's own reads are not capped."
)

