"""Column renderers for every seeded table: Plan + Faker pools -> list of Specs (load order)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bench.seeding import pools as fakepools
from bench.seeding.pools import AUDIT_ACTIONS, PROVIDERS, Pools
from bench.seeding import columns
from bench.seeding.columns import Fingerprint, Spec, render_csv
from bench.seeding.plan import Plan

INSTANCE_ID = "00000000000000000000000000000000"


def _s(value: str, n: int) -> pa.Array:
    return pa.array(np.full(n, value, dtype=object), pa.string())


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _null_where(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.nulls(len(arr), arr.type), arr)


def _clean(names: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(pc.utf8_lower(names), "[^a-z]", "")


class People:
    """Per-user attributes drawn once: names, provider, email, avatar, sign-in, home IP/agent."""

    def __init__(self, plan: Plan, pools: Pools):
        r = columns.rng(plan.seed, 10)
        n = plan.n
        self.pools = pools
        self.first = r.integers(len(pools.first_names), size=n)
        self.last = r.integers(len(pools.last_names), size=n)
        self.domain = r.integers(len(pools.email_domains), size=n)
        self.provider = r.choice(len(PROVIDERS), n, p=[0.2, 0.45, 0.2, 0.1, 0.05])  # 0 = email signup
        is_email = self.provider == 0
        self.name_missing = is_email & (r.random(n) < 0.5)  # email signups may never give a name
        self.avatar_missing = is_email
        self.confirmed = r.random(n) < 0.92
        self.home_ip = r.integers(len(pools.ipv4), size=n)
        self.home_agent = r.integers(len(pools.user_agents), size=n)
        self.last_sign_in_us = plan.signup_us + (r.random(n) * (plan.end_us - plan.signup_us)).astype(np.int64)
        self._lower_first, self._lower_last = _clean(pools.first_names), _clean(pools.last_names)

    def full_name(self, u: np.ndarray) -> pa.Array:
        name = _join(self.pools.first_names.take(self.first[u]), " ", self.pools.last_names.take(self.last[u]))
        return _null_where(name, self.name_missing[u])

    def email(self, u: np.ndarray) -> pa.Array:
        return _join(self._lower_first.take(self.first[u]), ".", self._lower_last.take(self.last[u]),
                     pa.array(u + 1).cast(pa.string()), "@", self.pools.email_domains.take(self.domain[u]))

    def avatar(self, u: np.ndarray) -> pa.Array:
        url = _join("https://avatars.githubusercontent.com/u/", pa.array(u + 10_000_000).cast(pa.string()), "?v=4")
        return _null_where(url, self.avatar_missing[u])

    def user_meta(self, u: np.ndarray) -> pa.Array:
        """raw_user_meta_data as the OAuth provider sends it; email signups may carry no name."""
        name, avatar = pc.fill_null(self.full_name(u), ""), pc.fill_null(self.avatar(u), "")
        both = _join('{"full_name":"', name, '","avatar_url":"', avatar, '"}')
        name_only = _join('{"full_name":"', name, '"}')
        return pc.if_else(pa.array(~self.avatar_missing[u]), both,
                          pc.if_else(pa.array(~self.name_missing[u]), name_only, _s("{}", len(u))))


def build_specs(plan: Plan, pools: Pools) -> list[Spec]:
    people = People(plan, pools)
    ids = plan.user_ids
    ep = plan.epoch_us
    users = np.flatnonzero(plan.has_user)
    profiles = np.flatnonzero(plan.has_profile)
    s_owner, s_t = plan.sessions
    session_ids = columns.hex_ids(columns.rng(plan.seed, 20), len(s_owner))

    def users_batch(lo, hi):
        u = users[lo:hi]
        k = len(u)
        signup = plan.signup_us[u]
        return pa.table({
            "instance_id": _s(INSTANCE_ID, k), "id": ids.take(u), "aud": _s("authenticated", k),
            "role": _s("authenticated", k), "email": people.email(u),
            "encrypted_password": _join("$2a$10$", ids.take(u), "abcdefghijklmnopqrstu"),
            "email_confirmed_at": _null_where(columns.ts(ep, signup + 60_000_000), ~people.confirmed[u]),
            "last_sign_in_at": columns.ts(ep, people.last_sign_in_us[u]),
            "raw_app_meta_data": pools.app_meta.take(people.provider[u]),
            "raw_user_meta_data": people.user_meta(u),
            "created_at": columns.ts(ep, signup), "updated_at": columns.ts(ep, people.last_sign_in_us[u]),
        })

    def profiles_batch(lo, hi):
        u = profiles[lo:hi]
        return pa.table({
            "id": ids.take(u), "email": people.email(u), "full_name": people.full_name(u),
            "avatar_url": people.avatar(u), "created_at": columns.ts(ep, plan.signup_us[u]),
            "updated_at": columns.ts(ep, plan.signup_us[u] + (people.last_sign_in_us[u] - plan.signup_us[u]) // 3),
        })

    last_session = np.full(plan.n, -1)
    np.maximum.at(last_session, s_owner, np.arange(len(s_owner)))
    prefs = columns.rng(plan.seed, 11).integers(1 << 30, size=plan.n)

    def state_batch(lo, hi):
        u = np.arange(lo, hi)
        cur = last_session[u]
        last_active = np.maximum(people.last_sign_in_us[u], np.where(cur >= 0, s_t[np.maximum(cur, 0)], 0))
        return pa.table({
            "user_id": ids.take(u),
            "current_session_id": _null_where(session_ids.take(np.maximum(cur, 0)), cur < 0),
            "ui_preferences": pools.ui_preferences.take(prefs[u] % len(pools.ui_preferences)),
            "chat_preferences": pools.chat_preferences.take(prefs[u] % len(pools.chat_preferences)),
            "last_active": columns.ts(ep, last_active),
        })

    r_owner, r_t, r_names = plan.roles

    def roles_batch(lo, hi):
        return pa.table({"user_id": ids.take(r_owner[lo:hi]), "role": pa.array(r_names[lo:hi], pa.string()),
                         "granted_at": columns.ts(ep, r_t[lo:hi])})

    a_owner, a_t = plan.audit
    actions = pa.array([a for a, _ in AUDIT_ACTIONS], pa.string())
    action_p = np.array([w for _, w in AUDIT_ACTIONS], float)
    action_p /= action_p.sum()

    def audit_batch(lo, hi):
        r = columns.rng(plan.seed, 1_000_000 + lo)
        owner, k = a_owner[lo:hi], hi - lo
        ip = np.where(r.random(k) < 0.8, people.home_ip[owner], r.integers(len(pools.ipv4), size=k))
        agent = np.where(r.random(k) < 0.85, people.home_agent[owner], r.integers(len(pools.user_agents), size=k))
        return pa.table({
            "user_id": ids.take(owner), "action": actions.take(r.choice(len(actions), k, p=action_p)),
            "ip_address": pools.ipv4.take(ip), "user_agent": pools.user_agents.take(agent),
            "metadata": pools.audit_meta.take(people.provider[owner] + 1),
            "created_at": columns.ts(ep, a_t[lo:hi]),
        })

    def sessions_batch(lo, hi):
        r = columns.rng(plan.seed, 2_000_000 + lo)
        k = hi - lo
        titles = pools.titles.take(r.integers(len(pools.titles), size=k))
        return pa.table({
            "id": session_ids[lo:hi], "user_id": ids.take(s_owner[lo:hi]),
            "adk_session_id": _join("adk-", columns.hex_ids(r, k, 12)),
            "session_title": _null_where(titles, r.random(k) < 0.1),
            "session_metadata": pools.session_meta.take(r.integers(len(pools.session_meta), size=k)),
            "created_at": columns.ts(ep, s_t[lo:hi]),
        })

    specs = [
        Spec("auth.users", tuple(users_batch(0, 0).column_names), len(users), users_batch),
        Spec("public.profiles", tuple(profiles_batch(0, 0).column_names), len(profiles), profiles_batch),
        Spec("public.user_state", tuple(state_batch(0, 0).column_names), plan.n, state_batch),
        Spec("public.user_roles", tuple(roles_batch(0, 0).column_names), len(r_owner), roles_batch),
        Spec("public.auth_audit_log", tuple(audit_batch(0, 0).column_names), len(a_owner), audit_batch),
        Spec("public.chat_sessions", tuple(sessions_batch(0, 0).column_names), len(s_owner), sessions_batch),
    ]
    if plan.chat_domain:
        specs += _chat_domain_specs(plan, pools, people, session_ids)
    return specs


def _chat_domain_specs(plan: Plan, pools: Pools, people: People, session_ids: pa.Array) -> list[Spec]:
    r = columns.rng(plan.seed, 30)
    s_owner, s_t = plan.sessions
    n_sessions = len(s_owner)
    ep = plan.epoch_us
    per_session = r.geometric(1 / plan.shapes.messages_mean, n_sessions)
    m_session = np.repeat(np.arange(n_sessions), per_session)
    gaps = r.exponential(45e6, len(m_session)).astype(np.int64)  # ~45 s between messages
    starts = np.cumsum(per_session) - per_session
    csum = np.cumsum(gaps)
    m_t = s_t[m_session] + csum - np.repeat(csum[starts] - gaps[starts], per_session)
    m_rank = np.arange(len(m_session)) - np.repeat(starts, per_session)
    last_msg = s_t + np.add.reduceat(gaps, starts) if n_sessions else s_t
    order = np.argsort(m_t, kind="stable")
    m_session, m_t, m_rank = m_session[order], m_t[order], m_rank[order]
    speaker = pa.array(["user", "assistant"], pa.string())

    def messages_batch(lo, hi):
        rr = columns.rng(plan.seed, 3_000_000 + lo)
        return pa.table({
            "session_id": session_ids.take(m_session[lo:hi]), "role": speaker.take(m_rank[lo:hi] % 2),
            "content": pools.messages.take(rr.integers(len(pools.messages), size=hi - lo)),
            "created_at": columns.ts(ep, m_t[lo:hi]),
        })

    shared = np.flatnonzero(r.random(n_sessions) < plan.shapes.share_fraction)
    share_with = r.integers(plan.n, size=len(shared))
    share_t = s_t[shared] + r.exponential(3_600e6, len(shared)).astype(np.int64)
    shared, share_t = columns.ordered(shared, share_t)
    perms = pa.array(["read", "write"], pa.string())

    def shares_batch(lo, hi):
        return pa.table({
            "session_id": session_ids.take(shared[lo:hi]), "shared_with_email": people.email(share_with[lo:hi]),
            "permission": perms.take((share_with[lo:hi] % 5 == 0).astype(np.int64)),
            "created_at": columns.ts(ep, share_t[lo:hi]),
        })

    tokens = (per_session * r.normal(180, 40, n_sessions).clip(20)).astype(np.int64)

    def analytics_batch(lo, hi):
        return pa.table({
            "session_id": session_ids[lo:hi], "message_count": pa.array(per_session[lo:hi], pa.int32()),
            "total_tokens": pa.array(tokens[lo:hi], pa.int32()), "last_message_at": columns.ts(ep, last_msg[lo:hi]),
        })

    return [
        Spec("public.message_cache", tuple(messages_batch(0, 0).column_names), len(m_session), messages_batch),
        Spec("public.session_shares", tuple(shares_batch(0, 0).column_names), len(shared), shares_batch),
        Spec("public.session_analytics", tuple(analytics_batch(0, 0).column_names), n_sessions, analytics_batch),
    ]


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
