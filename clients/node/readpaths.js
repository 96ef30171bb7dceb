// The read paths as the memo's JavaScript makes them, with node-postgres (pg).
//
// Reads one JSON job on stdin: {conn, sql_dir, bundle, parts, users, verify, blocks: [{rep,
// strategy, order, requests, warmup}]}. The statements are the suite's own .sql files
// (sql_dir/queries/<bundle>/<part>.sql, join_flat.sql, join_json.sql), sent as named prepared
// statements with the user id bound. Prints JSON lines: with `verify`, one
// {"verify": strategy, "user_idx", "answer"} per strategy x user (untimed; the suite checks
// them against the canonical checksum); then one {"rep", "strategy", "user_idx", "latency_us"}
// per timed request (a strategy "sham:<s>" runs <s> under that label). star_parallel is
// Promise.all over a pg.Pool of three, the memo's shape.
"use strict";
const fs = require("fs");
const path = require("path");
const { Client, Pool, types } = require("pg");

// As the suite's harness and a JSON client see them: timestamps stay text (a Date drops
// microseconds), uuid and inet are text already, json/jsonb are parsed.
for (const oid of [1114, 1184, 1082]) types.setTypeParser(oid, (v) => v);

const FLAT_PREFIX = { profiles: "p_", user_roles: "ur_", auth_audit_log: "aal_", user_state: "us_", chat_sessions: "cs_" };
const KEY = { profiles: "id", user_roles: "id", auth_audit_log: "id", user_state: "user_id", chat_sessions: "id" };

function readSql(dir, bundle, name) {
  return fs.readFileSync(path.join(dir, "queries", bundle, `${name}.sql`), "utf8");
}

function statements(job) {
  const single = {};
  for (const part of job.parts) single[part] = { name: `single_${part}`, text: readSql(job.sql_dir, job.bundle, part) };
  return {
    single,
    join_flat: { name: "join_flat", text: readSql(job.sql_dir, job.bundle, "join_flat") },
    join_json: { name: "join_json", text: readSql(job.sql_dir, job.bundle, "join_json") },
  };
}

function makeStrategies(sql, parts, client, pool) {
  const q = (conn, st, uid) => conn.query({ name: st.name, text: st.text, values: [uid] });
  return {
    async star_sequential(uid) {
      const answer = {};
      for (const part of parts) answer[part] = (await q(client, sql.single[part], uid)).rows;
      return answer;
    },
    async star_parallel(uid) {
      const results = await Promise.all(parts.map((part) => q(pool, sql.single[part], uid)));
      const answer = {};
      parts.forEach((part, i) => { answer[part] = results[i].rows; });
      return answer;
    },
    async join_flat(uid) {
      const rows = (await q(client, sql.join_flat, uid)).rows;
      const answer = {};
      for (const part of parts) {  // fold the multiplied rows back: one entry per key, first seen wins
        const prefix = FLAT_PREFIX[part];
        const seen = new Map();
        for (const row of rows) {
          const key = row[prefix + KEY[part]];
          if (key === null || seen.has(key)) continue;
          const entry = {};
          for (const col in row) if (col.startsWith(prefix)) entry[col.slice(prefix.length)] = row[col];
          seen.set(key, entry);
        }
        answer[part] = [...seen.values()];
      }
      return answer;
    },
    async join_json(uid) {
      const rows = (await q(client, sql.join_json, uid)).rows;
      const answer = {};
      for (const part of parts) {
        const value = rows.length ? rows[0][part] : [];
        answer[part] = Array.isArray(value) ? value : [value];
      }
      return answer;
    },
  };
}

async function main() {
  const job = JSON.parse(fs.readFileSync(0, "utf8"));
  const client = new Client(job.conn);
  await client.connect();
  const pool = new Pool({ ...job.conn, max: 3, min: 3, idleTimeoutMillis: 0 });
  // Open the pool's three connections before any timing, as a warm server process has them.
  const held = await Promise.all([0, 1, 2].map(() => pool.connect()));
  held.forEach((c) => c.release());
  const strategies = makeStrategies(statements(job), job.parts, client, pool);
  const out = [];
  if (job.verify) {
    for (const strategy of job.strategies) {
      for (let k = 0; k < job.users.length; k++) {
        out.push(JSON.stringify({ verify: strategy, user_idx: k, answer: await strategies[strategy](job.users[k]) }));
      }
    }
  }
  for (const b of job.blocks) {
    const fn = strategies[b.strategy.replace(/^sham:/, "")];  // a sham runs its twin (the suite relabels it)
    const n = b.order.length;
    for (let i = 0; i < b.warmup; i++) await fn(job.users[b.order[i % n]]);
    for (let i = 0; i < b.requests; i++) {
      const k = b.order[i % n];
      const t0 = process.hrtime.bigint();
      await fn(job.users[k]);
      const elapsed = process.hrtime.bigint() - t0;
      out.push(JSON.stringify({ rep: b.rep, strategy: b.strategy, user_idx: k, latency_us: Number(elapsed) / 1000 }));
    }
  }
  await client.end();
  await pool.end();
  process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
}

main().catch((err) => {
  process.stderr.write(`readpaths.js: ${err.stack || err}\n`);
  process.exit(1);
});
