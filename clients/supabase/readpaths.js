// The memo's own code: supabase-js (@supabase/supabase-js, pinned in package.json) against the
// suite's PostgREST tier (bench/measure/tier_server.py), which plans from PostgREST's URLs.
//
// Reads one JSON job on stdin: {url, anon_key, bundle, parts: [{table, column, order, limit}],
// rpc, users, bearers, verify, strategies, blocks: [{rep, strategy, order, requests, warmup}]}.
// `url` is the tier (or the delay proxy in front of it) as a Supabase project URL; supabase-js
// appends /rest/v1. Each user's client sends that user's access token (`bearers[k]`, made by
// the suite as Supabase Auth issues it) through the `accessToken` option: the bytes a signed-in
// session sends, without an Auth server to sign in against (a session would be refreshed from
// one). Prints JSON lines as clients/node/readpaths.js does: with `verify`, one
// {"verify": strategy, "user_idx", "answer"} per strategy x user (untimed; the suite checks them
// against the canonical checksum); then one {"rep", "strategy", "user_idx", "latency_us"} per
// timed request. A strategy "sham:<s>" runs <s> under that label (the suite relabels it).
// Every request goes through undici's global keep-alive pool (Node's fetch): connections stay
// open between requests, as a browser's or a server's supabase-js keeps them.
"use strict";
const fs = require("fs");
const { createClient } = require("@supabase/supabase-js");
const ws = require("ws");

const SHAM = "sham:";

function client(job, bearer) {
  return createClient(job.url, job.anon_key, {
    accessToken: async () => bearer,
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: ws },  // Node 20 has no global WebSocket; no channel is ever opened
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

function makeStrategies(job) {
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

async function main() {
  const job = JSON.parse(fs.readFileSync(0, "utf8"));
  const clients = job.bearers.map((b) => client(job, b));  // one signed-in client per user, made before timing
  const strategies = makeStrategies(job);
  const fnOf = (name) => {
    const fn = strategies[name.startsWith(SHAM) ? name.slice(SHAM.length) : name];
    if (!fn) throw new Error(`no strategy ${name}`);
    return fn;
  };
  const out = [];
  if (job.verify) {
    for (const strategy of job.strategies) {
      for (let k = 0; k < job.users.length; k++) {
        out.push(JSON.stringify({ verify: strategy, user_idx: k, answer: await fnOf(strategy)(clients[k], job.users[k]) }));
      }
    }
  }
  for (const b of job.blocks) {
    const fn = fnOf(b.strategy);
    const n = b.order.length;
    for (let i = 0; i < b.warmup; i++) { const k = b.order[i % n]; await fn(clients[k], job.users[k]); }
    for (let i = 0; i < b.requests; i++) {
      const k = b.order[i % n];
      const t0 = process.hrtime.bigint();
      await fn(clients[k], job.users[k]);
      const elapsed = process.hrtime.bigint() - t0;
      out.push(JSON.stringify({ rep: b.rep, strategy: b.strategy, user_idx: k, latency_us: Number(elapsed) / 1000 }));
    }
  }
  // a pipe takes the write asynchronously: exit only once it has drained (over 64 KB was cut short)
  await new Promise((resolve) => process.stdout.write(out.join("\n") + (out.length ? "\n" : ""), resolve));
}

main().then(() => process.exit(0), (err) => {  // exit: undici's idle keep-alive sockets would hold the loop open
  process.stderr.write(`readpaths.js (supabase-js): ${err.stack || err}\n`);
  process.exit(1);
});
