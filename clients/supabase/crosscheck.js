// A cross-check of the tier's saturation throughput with a load tool the suite did not write:
// autocannon (pinned in package.json), sending the requests supabase-js makes (recorded once per
// user through strategies.js's `capture`), `connections` at a time, each connection cycling
// through them. Promise.all's three GETs go as a flat mix (autocannon has no notion of a bundle),
// so a bundle's throughput is HTTP requests per second over the requests per bundle.
//
// Reads one JSON job on stdin: the read-path job's {url, anon_key, bundle, parts, root, rpc, users,
// bearers} plus {strategy, connections, warmup_s, duration_s}. Prints one JSON line:
// {"strategy", "http_per_bundle", "http_rps", "bundles_rps", "p99_ms", "errors", "non2xx",
//  "bytes_per_request"}.
"use strict";
const fs = require("fs");
const autocannon = require("autocannon");
const { strategies, capture } = require("./strategies");

async function main() {
  const job = JSON.parse(fs.readFileSync(0, "utf8"));
  const perUser = await capture(job, strategies(job), job.strategy);
  const requests = perUser.flat().map((r) => ({ method: r.method, path: r.path, headers: r.headers,
                                                ...(r.body == null ? {} : { body: r.body }) }));
  const res = await autocannon({ url: job.url, connections: job.connections, duration: job.duration_s,
                                 warmup: { connections: job.connections, duration: job.warmup_s }, requests });
  const perBundle = requests.length / perUser.length;
  process.stdout.write(JSON.stringify({
    strategy: job.strategy, http_per_bundle: perBundle, http_rps: res.requests.average,
    bundles_rps: res.requests.average / perBundle, p99_ms: res.latency.p99, errors: res.errors, non2xx: res.non2xx,
    bytes_per_request: res.throughput.average / res.requests.average }) + "\n");
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`crosscheck.js: ${err.stack || err}\n`);
  process.exit(1);
});
