"""Each experiment run alone, as its own `python -m bench run NAME --scale xs --quick` command, on
a fresh xs dataset of a private cluster (the session's datasets stay as other tests expect them).
The `run_alone` fixture (conftest) runs each name at most once per session and keeps what it
made, so a test that needs one experiment's quick run (the pooler's) reads it instead of running
it again. One fresh seed is shared, and seeded afresh whenever the previous command left the
dataset different from how the seed made it (catalog or rows): each experiment meets exactly what
a fresh seed leaves, with nothing another experiment made."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench import config
from bench.db import pg
from bench.seeding import seed

SNAPSHOT = {
    "functions": "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p "
                 "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT LIKE 'pg\\_%' "
                 "AND n.nspname <> 'information_schema' ORDER BY 1, 2, 3",
    "relations": "SELECT n.nspname, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, c.relacl::text "
                 "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg\\_%' "
                 "AND n.nspname <> 'information_schema' ORDER BY 1, 2",
    "indexes": "SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname NOT LIKE 'pg\\_%' ORDER BY 1, 2",
    "policies": "SELECT schemaname, tablename, policyname, roles::text, cmd, qual, with_check FROM pg_policies "
                "ORDER BY 1, 2, 3",
    "triggers": "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2",
    "extensions": "SELECT extname FROM pg_extension ORDER BY 1",
    "settings": "SELECT setrole::regrole::text, setconfig::text FROM pg_db_role_setting "
                "WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1",
}


def _snapshot(dsn: str) -> dict:
    with psycopg.connect(dsn, autocommit=True) as conn:
        out = {k: conn.execute(q).fetchall() for k, q in SNAPSHOT.items()}
        tables = conn.execute("SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables "
                              "WHERE schemaname IN ('auth', 'public') ORDER BY 1").fetchall()
        out["rows"] = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for (t,) in tables}
    return out



@dataclass
class Ran:
    name: str
    done: subprocess.CompletedProcess
    run_dir: Path | None  # the run folder, where the command made one
    reseeded: bool  # the dataset was seeded afresh before it (the previous command left something)


class Alone:
    def __init__(self, out: Path):
        # not under pytest's base temp: any pytest session starting on the machine sets it back to
        # 0700, and the server (run as its own system user under root) loses its data directory
        self.emb = pg.Embedded(Path(tempfile.mkdtemp(prefix="bench-test-")) / "pg")
        made = seed.seed(self.emb.start().dsn(), seed.Request(scale="xs"), fresh=True, progress=False)
        self.fresh, self.out, self.ran = _snapshot(made.dsn), out, {}

    def __call__(self, name: str) -> Ran:
        if name not in self.ran:
            self.ran[name] = self._run(name)
        return self.ran[name]

    def _run(self, name: str) -> Ran:
        running = self.emb.start()  # its port, which a restart (read_paths' pinning) changes
        dataset = pg.with_dbname(running.dsn(), seed.Request(scale="xs").database)
        reseed = _snapshot(dataset) != self.fresh
        if reseed:
            seed.seed(running.dsn(), seed.Request(scale="xs"), fresh=True, progress=False)
            assert _snapshot(dataset) == self.fresh, "a fresh seed differs from the first one"
        out = self.out / name
        done = subprocess.run([sys.executable, "-m", "bench", "run", name, "--scale", "xs", "--quick", "--out", str(out)],
                              env={**os.environ, config.DSN_ENV: running.dsn(tcp=True)}, capture_output=True, text=True,
                              cwd=config.REPO, timeout=600)
        made = [p for p in out.iterdir() if p.name != ".lock"] if out.exists() else []
        return Ran(name, done, made[0] if done.returncode == 0 and len(made) == 1 else None, reseed)

    def close(self) -> None:
        self.emb.stop()
        shutil.rmtree(self.emb.home.parent, ignore_errors=True)
