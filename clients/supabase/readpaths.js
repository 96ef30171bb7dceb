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
const { client, strategies, fnOf } = require("./strategies");

async function main() {
  const job = JSON.parse(fs.readFileSync(0, "utf8"));
  const clients = job.bearers.map((b) => client(job, b));  // one signed-in client per user, made before timing
  const all = strategies(job);
  const out = [];
  if (job.verify) {
    for (const strategy of job.strategies) {
      for (let k = 0; k < job.users.length; k++) {
        out.push(JSON.stringify({ verify: strategy, user_idx: k, answer: await fnOf(all, strategy)(clients[k], job.users[k]) }));
      }
    }
  }
  for (const b of job.blocks) {
    const fn = fnOf(all, b.strategy);
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
