// The memo's calls as supabase-js (@supabase/supabase-js, pinned in package.json) makes them,
// shared by the read-path driver (readpaths.js: one request at a time, timed) and the load
// driver (load.js: many users in flight). `client(job, bearer)` is one signed-in user's client;
// `strategies(job)` maps each strategy id to an async (supabase, userId) -> answer, the answer
// keyed by table as the suite's same-answer check reads it; `fnOf` resolves "sham:<s>" to <s>.
"use strict";
const { createClient } = require("@supabase/supabase-js");
const ws = require("ws");

const SHAM = "sham:";

// `fetchImpl`: a fetch of the caller's in place of the global one (load.js records through it).
function client(job, bearer, fetchImpl) {
  return createClient(job.url, job.anon_key, {
    accessToken: async () => bearer,
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: ws },  // Node 20 has no global WebSocket; no channel is ever opened
    ...(fetchImpl ? { global: { fetch: fetchImpl } } : {}),
  });
}

// One part as the memo writes it: supabase.from(table).select('*').eq(column, userId), with
// .order()/.limit() where the bundle pages (account_paged's audit log).
function fromPart(supabase, part, userId) {
  let q = supabase.from(part.table).select("*").eq(part.column, userId);
  for (const [col, dir] of part.order || []) q = q.order(col, { ascending: dir.toUpperCase() === "ASC" });
  if (part.limit != null) q = q.limit(part.limit);
  return q;
}

function rows(result, what) {
  if (result.error) throw new Error(`${what}: ${JSON.stringify(result.error)} (HTTP ${result.status})`);
  return result.data;
}

function strategies(job) {
  const memoShape = job.bundle === "account";  // the memo's own three tables, no paging
  return {
    // The memo's getUserData, verbatim (seed-memo.md) for the `account` bundle, whose tables and
    // filter columns are the memo's own; other bundles run the same Promise.all over their parts.
    async star_parallel(supabase, userId) {
      if (memoShape) {
        const [profile, roles, auditLog] = await Promise.all([
          supabase.from('profiles').select('*').eq('id', userId),
          supabase.from('user_roles').select('*').eq('user_id', userId),
          supabase.from('auth_audit_log').select('*').eq('user_id', userId)
        ]);
        return { profiles: rows(profile, "profiles"), user_roles: rows(roles, "user_roles"),
                 auth_audit_log: rows(auditLog, "auth_audit_log") };
      }
      const results = await Promise.all(job.parts.map((p) => fromPart(supabase, p, userId)));
      const answer = {};
      job.parts.forEach((p, i) => { answer[p.table] = rows(results[i], p.table); });
      return answer;
    },
    // The same calls, each awaited before the next is sent.
    async star_sequential(supabase, userId) {
      const answer = {};
      for (const p of job.parts) answer[p.table] = rows(await fromPart(supabase, p, userId), p.table);
      return answer;
    },
    // The one request a Supabase user can make on the star: .rpc('get_<bundle>_bundle', {uid}).
    async rpc_bundle(supabase, userId) {
      const obj = rows(await supabase.rpc(job.rpc, { uid: userId }), job.rpc) || {};
      const answer = {};
      for (const p of job.parts) answer[p.table] = obj[p.table] || [];
      return answer;
    },
    // The embed (relational variant only; PostgREST refuses it on the star, PGRST200):
    // .from('profiles').select('*,<spoke>(*),...').eq('id', userId).
    async join_json(supabase, userId) {
      const root = job.parts.find((p) => p.table === job.root);
      const spokes = job.parts.filter((p) => p.table !== job.root);
      let q = supabase.from(root.table).select(["*", ...spokes.map((p) => `${p.table}(*)`)].join(",")).eq(root.column, userId);
      for (const p of spokes) {
        for (const [col, dir] of p.order || []) q = q.order(col, { ascending: dir.toUpperCase() === "ASC", referencedTable: p.table });
        if (p.limit != null) q = q.limit(p.limit, { referencedTable: p.table });
      }
      const found = rows(await q, root.table);
      const answer = {};
      if (!found.length) {
        for (const p of job.parts) answer[p.table] = [];
        return answer;
      }
      const row = { ...found[0] };
      for (const p of spokes) {
        const v = row[p.table];
        delete row[p.table];
        answer[p.table] = Array.isArray(v) ? v : v == null ? [] : [v];
      }
      answer[root.table] = [row];
      return answer;
    },
  };
}

function fnOf(all, name) {
  const fn = all[name.startsWith(SHAM) ? name.slice(SHAM.length) : name];
  if (!fn) throw new Error(`no strategy ${name}`);
  return fn;
}

// Each user's requests as supabase-js sends them for `name` (method, path, headers, body), in the
// order it sends them, recorded through the client's `fetch` (the requests go out and are answered).
async function capture(job, all, name) {
  const out = [];
  for (let k = 0; k < job.users.length; k++) {
    const sent = [];
    const recording = async (input, init = {}) => {
      const url = new URL(typeof input === "string" ? input : input.url);
      const headers = {};
      new Headers(init.headers || {}).forEach((v, key) => { headers[key] = v; });
      sent.push({ method: init.method || "GET", path: url.pathname + url.search, headers,
                  body: init.body == null ? null : String(init.body) });
      return fetch(input, init);
    };
    try {
      await fnOf(all, name)(client(job, job.bearers[k], recording), job.users[k]);
    } catch (err) {  // refused (an embed PostgREST cannot make): replayed all the same, each failure an error
      if (!sent.length) throw err;
    }
    out.push(sent);
  }
  return out;
}

module.exports = { SHAM, client, strategies, fnOf, capture };
