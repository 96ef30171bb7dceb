"""The parallel finish runs every statement of the .sql files, grouped by the table it names."""
import re

from bench.db import schema
from bench.seeding import finish
from bench.sql import sql_text

LOADED = {"auth.users", "public.profiles", "public.user_state", "public.user_roles", "public.auth_audit_log",
          "public.chat_sessions", "public.message_cache", "public.session_shares", "public.session_analytics"}


def test_every_statement_lands_in_one_group_named_by_its_table():
    for variant in schema.VARIANTS:
        for indexes in schema.INDEX_OPTIONS:
            files = ("schema/keys.sql", *schema.VARIANT_KEYS[variant], f"variants/{indexes}.sql")
            groups = finish.by_table(files)
            expected = sum(len(re.findall(r";\s*$", sql_text(f), re.M)) for f in files)
            assert sum(len(g) for g in groups.values()) == expected
            for table, stmts in groups.items():
                for stmt in stmts:
                    assert not stmt.endswith(";") and "--" not in stmt
                if any(s.startswith(("SELECT bench_meta.add_constraint", "CREATE INDEX")) for s in stmts):
                    assert table in LOADED, table


def test_statements_keep_multi_line_statements_whole():
    stmts = finish.statements("variants/star.sql")
    assert len(stmts) == 5 and all(s.startswith("SELECT bench_meta.add_constraint(") and s.endswith(")") for s in stmts)
