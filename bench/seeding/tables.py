"""Column renderers for every seeded table: Plan + Faker pools -> list of Specs (load order).

Every table is generated batch by batch as it is consumed (see `columns.Spec`): per-user values
are keyed streams recomputed from the user's number, spoke rows come from the plan's time
windows, and nothing is built for a whole table.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bench.seeding import chat
from bench.seeding import columns as col
from bench.seeding import pools as fakepools
from bench.seeding.columns import BATCH_ROWS, Fingerprint, Spec, render_csv
from bench.seeding.plan import Plan
from bench.seeding.pools import AUDIT_ACTIONS, Pools

INSTANCE_ID = "00000000000000000000000000000000"
# keyed stream ids of per-user and per-row values (plan.py uses 1-13)
S_USER_ID = 20  # ids use the id and the next (plan.S_SESSION_ID is 22)
S_FIRST, S_LAST, S_DOMAIN, S_PROVIDER, S_NAME_MISSING, S_CONFIRMED = 30, 31, 32, 33, 34, 35
S_HOME_IP, S_HOME_AGENT, S_LAST_SIGN_IN, S_PREFS = 36, 37, 38, 39
PROVIDER_P = np.cumsum([0.2, 0.45, 0.2, 0.1, 0.05])  # 0 = email signup
EMPTY = np.zeros(0, np.int64)


def _s(value: str, n: int) -> pa.Array:
    return pa.array(np.full(n, value, dtype=object), pa.string())


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _null_where(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.nulls(len(arr), arr.type), arr)


def _clean(names: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(pc.utf8_lower(names), "[^a-z]", "")


class People:
    """Per-user attributes as functions of the user's number: names, provider, email, avatar,
    sign-in, home IP and agent. Nothing is stored per user."""

    def __init__(self, plan: Plan, pools: Pools):
        self.plan, self.pools, self.seed = plan, pools, plan.seed
        self._lower_first, self._lower_last = _clean(pools.first_names), _clean(pools.last_names)

    def _int(self, stream: int, u: np.ndarray, high: int) -> np.ndarray:
        return col.integers(self.seed, stream, u, high)

    def ids(self, u: np.ndarray) -> pa.Array:
        return col.keyed_hex_ids(self.seed, S_USER_ID, u)

    def provider(self, u: np.ndarray) -> np.ndarray:
        return np.minimum(np.searchsorted(PROVIDER_P, col.uniform(self.seed, S_PROVIDER, u), side="right"), 4)

    def name_missing(self, u: np.ndarray) -> np.ndarray:  # email signups may never give a name
        return (self.provider(u) == 0) & (col.uniform(self.seed, S_NAME_MISSING, u) < 0.5)

    def avatar_missing(self, u: np.ndarray) -> np.ndarray:
        return self.provider(u) == 0

    def confirmed(self, u: np.ndarray) -> np.ndarray:
        return col.uniform(self.seed, S_CONFIRMED, u) < 0.92

    def home_ip(self, u: np.ndarray) -> np.ndarray:
        return self._int(S_HOME_IP, u, len(self.pools.ipv4))

    def home_agent(self, u: np.ndarray) -> np.ndarray:
        return self._int(S_HOME_AGENT, u, len(self.pools.user_agents))

    def last_sign_in_us(self, u: np.ndarray) -> np.ndarray:
        s = self.plan.signup(u)
        return s + (col.uniform(self.seed, S_LAST_SIGN_IN, u) * (self.plan.end_us - s)).astype(np.int64)

    def full_name(self, u: np.ndarray) -> pa.Array:
        p = self.pools
        name = _join(p.first_names.take(self._int(S_FIRST, u, len(p.first_names))), " ",
                     p.last_names.take(self._int(S_LAST, u, len(p.last_names))))
        return _null_where(name, self.name_missing(u))

    def email(self, u: np.ndarray) -> pa.Array:
        p = self.pools
        return _join(self._lower_first.take(self._int(S_FIRST, u, len(p.first_names))), ".",
                     self._lower_last.take(self._int(S_LAST, u, len(p.last_names))),
                     pa.array(u + 1).cast(pa.string()), "@",
                     p.email_domains.take(self._int(S_DOMAIN, u, len(p.email_domains))))

    def avatar(self, u: np.ndarray) -> pa.Array:
        url = _join("https://avatars.githubusercontent.com/u/", pa.array(u + 10_000_000).cast(pa.string()), "?v=4")
        return _null_where(url, self.avatar_missing(u))

    def user_meta(self, u: np.ndarray) -> pa.Array:
        """raw_user_meta_data as the OAuth provider sends it; email signups may carry no name."""
        name, avatar = pc.fill_null(self.full_name(u), ""), pc.fill_null(self.avatar(u), "")
        both = _join('{"full_name":"', name, '","avatar_url":"', avatar, '"}')
        name_only = _join('{"full_name":"', name, '"}')
        return pc.if_else(pa.array(~self.avatar_missing(u)), both,
                          pc.if_else(pa.array(~self.name_missing(u)), name_only, _s("{}", len(u))))


def _user_blocks(n: int, keep) -> Iterator[tuple[np.ndarray]]:
    for lo in range(0, n, BATCH_ROWS):
        u = np.arange(lo, min(lo + BATCH_ROWS, n))
        yield (u[keep(u)],)


def last_sessions(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Per user, the number of its latest chat session (-1: none) and that session's time."""
    last = np.full(plan.n, -1, np.int64)
    last_t = np.zeros(plan.n, np.int64)
    j0 = 0
    for owner, t in plan.sessions.windows():
        k = len(owner)
        users, first_from_end = np.unique(owner[::-1], return_index=True)
        pos = k - 1 - first_from_end
        last[users], last_t[users] = j0 + pos, t[pos]
        j0 += k
    return last, last_t


def build_specs(plan: Plan, pools: Pools) -> list[Spec]:
    people = People(plan, pools)
    ep = plan.epoch_us

    def users_batch(u):
        k = len(u)
        signup, seen = plan.signup(u), people.last_sign_in_us(u)
        ids = people.ids(u)
        return pa.table({
            "instance_id": _s(INSTANCE_ID, k), "id": ids, "aud": _s("authenticated", k),
            "role": _s("authenticated", k), "email": people.email(u),
            "encrypted_password": _join("$2a$10$", ids, "abcdefghijklmnopqrstu"),
            "email_confirmed_at": _null_where(col.ts(ep, signup + 60_000_000), ~people.confirmed(u)),
            "last_sign_in_at": col.ts(ep, seen),
            "raw_app_meta_data": pools.app_meta.take(people.provider(u)),
            "raw_user_meta_data": people.user_meta(u),
            "created_at": col.ts(ep, signup), "updated_at": col.ts(ep, seen),
        })

    def profiles_batch(u):
        signup = plan.signup(u)
        return pa.table({
            "id": people.ids(u), "email": people.email(u), "full_name": people.full_name(u),
            "avatar_url": people.avatar(u), "created_at": col.ts(ep, signup),
            "updated_at": col.ts(ep, signup + (people.last_sign_in_us(u) - signup) // 3),
        })

    def state_batch(u, cur, cur_t):
        prefs = col.integers(plan.seed, S_PREFS, u, 1 << 30)
        return pa.table({
            "user_id": people.ids(u),
            "current_session_id": _null_where(plan.session_ids(np.maximum(cur, 0)), cur < 0),
            "ui_preferences": pools.ui_preferences.take(prefs % len(pools.ui_preferences)),
            "chat_preferences": pools.chat_preferences.take(prefs % len(pools.chat_preferences)),
            "last_active": col.ts(ep, np.maximum(people.last_sign_in_us(u), np.where(cur >= 0, cur_t, 0))),
        })

    def state_rows():
        last, last_t = last_sessions(plan)
        for lo in range(0, plan.n, BATCH_ROWS):
            u = np.arange(lo, min(lo + BATCH_ROWS, plan.n))
            yield u, last[u], last_t[u]

    role_names = pa.array(plan.roles.names, pa.string())

    def roles_batch(lo, owner, t, name):
        return pa.table({"user_id": people.ids(owner), "role": role_names.take(name),
                         "granted_at": col.ts(ep, t)})

    actions = pa.array([a for a, _ in AUDIT_ACTIONS], pa.string())
    action_p = np.array([w for _, w in AUDIT_ACTIONS], float)
    action_p /= action_p.sum()

    def audit_batch(lo, owner, t):
        r = col.rng(plan.seed, 1_000_000 + lo)
        k = len(owner)
        ip = np.where(r.random(k) < 0.8, people.home_ip(owner), r.integers(len(pools.ipv4), size=k))
        agent = np.where(r.random(k) < 0.85, people.home_agent(owner), r.integers(len(pools.user_agents), size=k))
        return pa.table({
            "user_id": people.ids(owner), "action": actions.take(r.choice(len(actions), k, p=action_p)),
            "ip_address": pools.ipv4.take(ip), "user_agent": pools.user_agents.take(agent),
            "metadata": pools.audit_meta.take(people.provider(owner) + 1),
            "created_at": col.ts(ep, t),
        })

    def sessions_batch(lo, owner, t):
        r = col.rng(plan.seed, 2_000_000 + lo)
        k = len(owner)
        titles = pools.titles.take(r.integers(len(pools.titles), size=k))
        return pa.table({
            "id": plan.session_ids(np.arange(lo, lo + k)), "user_id": people.ids(owner),
            "adk_session_id": _join("adk-", col.hex_ids(r, k, 12)),
            "session_title": _null_where(titles, r.random(k) < 0.1),
            "session_metadata": pools.session_meta.take(r.integers(len(pools.session_meta), size=k)),
            "created_at": col.ts(ep, t),
        })

    specs = [
        Spec("auth.users", _columns(users_batch(EMPTY)), plan.user_rows,
             lambda: (users_batch(*u) for u in _user_blocks(plan.n, plan.has_user_of))),
        Spec("public.profiles", _columns(profiles_batch(EMPTY)), plan.profile_rows,
             lambda: (profiles_batch(*u) for u in _user_blocks(plan.n, plan.has_profile_of))),
        Spec("public.user_state", _columns(state_batch(EMPTY, EMPTY, EMPTY)), plan.n,
             lambda: (state_batch(*a) for a in state_rows())),
        Spec("public.user_roles", _columns(roles_batch(0, EMPTY, EMPTY, EMPTY)), plan.roles.rows,
             lambda: col.in_batches(plan.roles.windows(), roles_batch)),
        Spec("public.auth_audit_log", _columns(audit_batch(0, EMPTY, EMPTY)), plan.audit.rows,
             lambda: col.in_batches(plan.audit.windows(), audit_batch)),
        Spec("public.chat_sessions", _columns(sessions_batch(0, EMPTY, EMPTY)), plan.sessions.rows,
             lambda: col.in_batches(plan.sessions.windows(), sessions_batch)),
    ]
    if plan.chat_domain:
        specs += chat.specs(plan, pools, people)
    return specs


def _columns(empty: pa.Table) -> tuple[str, ...]:
    return tuple(empty.column_names)


def specs(plan: Plan) -> list[Spec]:
    """Every table of the plan, in load order."""
    return build_specs(plan, fakepools.build(plan.seed, plan.locale))


def row_counts(plan: Plan) -> dict[str, int]:
    return {spec.name: spec.rows for spec in specs(plan)}


def fingerprint(plan: Plan) -> str:
    fp = Fingerprint()
    for spec in specs(plan):
        fp.table(spec)
        for batch in spec.batches():
            fp.chunk(render_csv(batch))
    return fp.hexdigest()
