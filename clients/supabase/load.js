// Load through the PostgREST path: many users' requests in flight against the suite's tier.
//
// Reads one JSON job on stdin: the read-path job's {url, anon_key, bundle, parts, root, rpc,
// users, bearers} plus {strategy, driver, vus, warmup_s, duration_s, reps}. `vus` virtual users
// run the strategy in a closed loop (no think time), each taking the next user in turn (request
// i takes user i mod n, as the Python load generator does).
//
// driver "replay" (the load cells): supabase-js (strategies.js) makes each user's requests once,
// untimed, through a recording `fetch`; node's own http client (keep-alive, as many sockets as
// requests in flight) then sends exactly those requests (method, URL, headers, body) in the
// strategy's shape: star_parallel's three at once (Promise.all), star_sequential's in turn,
// rpc_bundle's one; each response's status is checked and its JSON parsed, as the library
// does. The library's own per-request work (a query builder, undici's fetch) costs about half a
// millisecond of this one thread per request, which would make the client the bottleneck long
// before the server; the replay sends the same bytes for a fraction of it.
// driver "supabase-js": every request through the library itself (a cross-check).
//
// Per repetition: `warmup_s` unrecorded, then a window of `duration_s`; a request counts when it
// ends inside the window (latency from its start); the window's own CPU of this process
// (process.cpuUsage: the JavaScript runs on one thread, so about 1 core is its ceiling).
// Prints {"phase": "go"} when the first warm-up starts and {"phase": "end"} after the last
// window (the caller measures the server's CPU between them), and one line per repetition:
// {"rep", "latency_us": [...], "errors", "window_s", "cpu_s", "completed", "first_error"}.
"use strict";
const fs = require("fs");
const http = require("http");
const { client, strategies, fnOf, capture } = require("./strategies");

const now = () => performance.now();  // ms, monotonic
const SEQUENTIAL = new Set(["star_sequential"]);

function replayer(job, requests, strategy) {
  const target = new URL(job.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const one = (r) => new Promise((resolve, reject) => {
    const req = http.request({ host: target.hostname, port: target.port, method: r.method, path: r.path,
                               headers: r.body == null ? r.headers : { ...r.headers, "content-length": Buffer.byteLength(r.body) },
                               agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode >= 300) reject(new Error(`HTTP ${res.statusCode} ${r.method} ${r.path}: ${text.slice(0, 200)}`));
        else resolve(JSON.parse(text));
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (r.body != null) req.write(r.body);
    req.end();
  });
  if (SEQUENTIAL.has(strategy)) {
    return async (k) => { const got = []; for (const r of requests[k]) got.push(await one(r)); return got; };
  }
  return (k) => Promise.all(requests[k].map(one));
}

async function repetition(job, send, counter, rep) {
  const lat = [];
  let errors = 0;
  let firstError = null;
  let stop = false;
  let windowStart = Infinity;
  let windowEnd = Infinity;
  let completed = 0;  // every request that ended, warm-up and tail included (the tier's CPU per request)
  const n = job.users.length;
  async function vu() {
    while (!stop) {
      const k = counter.next++ % n;
      const t0 = now();
      let failed = false;
      try {
        await send(k);
      } catch (err) {
        failed = true;
        if (firstError === null) firstError = String((err && err.message) || err).slice(0, 300);
      }
      const t1 = now();
      completed++;
      if (t1 > windowStart && t1 <= windowEnd) {
        if (failed) errors++;
        else lat.push((t1 - t0) * 1000);
      }
    }
  }
  const running = Array.from({ length: job.vus }, vu);
  await new Promise((resolve) => setTimeout(resolve, job.warmup_s * 1000));
  windowStart = now();
  const cpu0 = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, job.duration_s * 1000));
  windowEnd = now();
  const cpu = process.cpuUsage(cpu0);
  stop = true;
  await Promise.all(running);
  return { rep, latency_us: lat, errors, window_s: (windowEnd - windowStart) / 1000,
           cpu_s: (cpu.user + cpu.system) / 1e6, completed, first_error: firstError };
}

async function main() {
  const job = JSON.parse(fs.readFileSync(0, "utf8"));
  const all = strategies(job);
  const strategy = job.strategy.startsWith("sham:") ? job.strategy.slice(5) : job.strategy;
  let send;
  if (job.driver === "supabase-js") {
    const clients = job.bearers.map((b) => client(job, b));
    const fn = fnOf(all, strategy);
    send = (k) => fn(clients[k], job.users[k]);
  } else {
    send = replayer(job, await capture(job, all, strategy), strategy);
  }
  const counter = { next: 0 };
  const write = (obj) => new Promise((resolve) => process.stdout.write(JSON.stringify(obj) + "\n", resolve));
  await write({ phase: "go" });
  const reps = [];
  for (let rep = 0; rep < job.reps; rep++) reps.push(await repetition(job, send, counter, rep));
  await write({ phase: "end" });
  for (const r of reps) await write(r);
}

main().then(() => process.exit(0), (err) => {  // exit: keep-alive sockets would hold the loop open
  process.stderr.write(`load.js: ${err.stack || err}\n`);
  process.exit(1);
});
