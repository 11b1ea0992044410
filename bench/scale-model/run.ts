/**
 * The scale model (issue 7): the real Lambda handlers and use cases, on synthetic tables and a simulated AWS,
 * under a virtual clock. It prints time and cost to crawl 1 and 10 million feeds and to fan one article out
 * to 12.5 and 50 million subscribers of one feed, and draws the progress curves (docs/scale-model.svg).
 *
 *   node --import tsx bench/scale-model/run.ts [--json] [--scenarios crawl-1m,crawl-10m,fanout-12.5m,fanout-50m]
 *        [--concurrency 1000] [--max-simulated 250000] [--seed 1] [--svg docs/scale-model.svg]
 *        [--set name=value,…]   (relay settings over the Lambda defaults, e.g. fetchConcurrency, scanSegments)
 *        [--pollers 5,300]      (SQS event source scaling: concurrent batches at start, added a minute)
 *   node --import tsx bench/scale-model/run.ts --from a.json,b.json [--svg …]
 *        (tabulates and charts the results of earlier `--json` runs together, without simulating)
 *
 * The model's assumptions:
 * - Code: `createHandlers` and the application module run unchanged, under the settings a Lambda reads
 *   (`lambdaRelaySettings`: the Lambda defaults, then `--set`); only the adapters are replaced. Each execution
 *   environment composes its own container, as a cold start does, so what an environment bounds for itself
 *   (`fetchConcurrency`) is bounded per environment. An invocation lasts as long as its awaited I/O, and at
 *   least as long as its CPU (`CPU_MS`: 2 ms for each feed fetched and each webhook POST, a new TLS connection;
 *   2 ms more for a changed feed; 0.3 ms an AWS request) takes at the function's share of one vCPU (memory /
 *   1,769 MB, at most 1); file descriptors are not modelled; nothing fails or is duplicated, so every message is
 *   handled once.
 * - Lambda: each SQS event source starts with 5 concurrent batches and adds 300 a minute (`--pollers`) while
 *   messages wait, up to its maximum concurrency and the account concurrency (`--concurrency`); a function adds
 *   at most 1,000 environments per 10 s; a cold start costs 300 ms, a poll-to-invoke 20 ms; a batch holds up to
 *   the batch size and 6 MB, and a partial batch waits out the batching window. Batch sizes, batching windows,
 *   maximum concurrency, memory, visibility time-outs and receive counts are those the CDK app deploys
 *   (`QUEUES`). Billing: per request plus GB-s of the handler and init time at each function's memory, arm64.
 * - SQS: 10 ms a request; SendMessageBatch of ≤ 10 entries, 4 at a time; the event source's ReceiveMessage
 *   and DeleteMessageBatch are counted per batch (empty polls are not).
 * - DynamoDB: 5 ms a request; each port call is the request(s) the DynamoDB adapter sends (a feed commit one
 *   conditional UpdateItem on the feed's key; a discovery's articles one gzipped item on the feed's key, a
 *   third of their JSON, read back with one eventually consistent Query; a scan page one Scan of its segment,
 *   spread over the table; a subscriber page one consistent Query of `<feedId>#<shard>`; a ledger claim or
 *   completion one UpdateItem on the step's chain, e.g. `fetch#<runId>.<segment>` or `deliver#<runId>.<bucket>`;
 *   a run's start an UpdateItem of the lock and a PutItem; the table's size one DescribeTable); a Scan/Query
 *   page holds min(Limit, 1 MB / item size) items; capacity units from approximate item sizes; one partition
 *   key serves 3,000 RRU/1,000 WRU a second and a table 40,000 of each (token buckets with 1 s of burst); a
 *   request over the rate waits its turn (the SDK's retries, modelled as a queue). Adaptive capacity's
 *   split-for-heat is not modelled.
 * - EventBridge: 20 ms a PutEvents of ≤ 10 entries; the rule delivers to the fan-out queue at once.
 * - The web: feed servers answer after a lognormal latency (median 300 ms, p99 3 s, time-out 10 s); 5 % of
 *   feeds changed and answer 200 with 5 new items, the rest 304. Webhook receivers answer 2xx after median
 *   200 ms, p99 2 s. A fan-out scenario is a crawl of its one feed, which has one new article.
 * - Parallelism: start-crawl sizes the scan from the table's count (S = ⌈feeds / feedsPerSegment⌉, at most
 *   maxScanSegments) and the fan-out's feed has K = the power of two that `grownShardCount` reaches for its
 *   subscribers; a crawl simulated smaller than its scenario keeps the segment length (its S is that of the
 *   simulated table), a fan-out keeps the scenario's K.
 * - Scale: the tables are computed, not stored; a scenario larger than `--max-simulated` items is simulated
 *   at that size and extrapolated (labelled): time = simulated time + remaining items / the steady rate
 *   (25–75 % done); requests, units and invocations along the line through a one-item run and the simulated
 *   run; GB-s at the steady per-item figure. `--max-simulated 0` simulates everything. The simulated part
 *   must reach the steady state (the pollers need about 3.3 min to reach 1,000), or the extrapolation is
 *   optimistic on GB-s and pessimistic on time.
 * - Prices: us-east-1 on-demand (see `PRICES` in aws-model.ts).
 */
import 'reflect-metadata';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import type { RelaySettings } from '../../src/application/settings.js';
import { STANDARD_POLLERS } from './lambda-platform.js';
import { SCENARIOS, runScenario, type ScenarioResult } from './scenario.js';
import { duration, progressChart } from './svg.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    scenarios: { type: 'string', default: SCENARIOS.map((s) => s.name).join(',') },
    concurrency: { type: 'string', default: '1000' },
    'max-simulated': { type: 'string', default: '250000' },
    seed: { type: 'string', default: '1' },
    svg: { type: 'string', default: 'docs/scale-model.svg' },
    /** Relay settings to run under, e.g. `--set feedPageSize=500,subscriberPageSize=1000`. */
    set: { type: 'string', default: '' },
    /** The SQS event sources' scaling, `<at start>,<added a minute>`: `5,300` standard mode; e.g. `5,1000`. */
    pollers: { type: 'string', default: `${STANDARD_POLLERS.atStart},${STANDARD_POLLERS.rampPerMinute}` },
    /** Results of earlier `--json` runs (comma-separated files) to tabulate and chart instead of simulating. */
    from: { type: 'string', default: '' },
  },
});

const concurrency = Number(values.concurrency);
const maxSimulated = Number(values['max-simulated']);
const seed = Number(values.seed);
for (const [name, value] of [
  ['--concurrency', concurrency],
  ['--max-simulated', maxSimulated],
  ['--seed', seed],
] as const) {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got ${value}`);
}
const [atStart, rampPerMinute] = values.pollers.split(',').map(Number);
if (!Number.isSafeInteger(atStart) || !Number.isSafeInteger(rampPerMinute) || atStart! < 1 || rampPerMinute! < 1) {
  throw new Error(`--pollers takes <at start>,<added a minute>, got ${JSON.stringify(values.pollers)}`);
}
const pollers = { atStart: atStart!, rampPerMinute: rampPerMinute! };
const settings = Object.fromEntries(
  values.set
    .split(',')
    .filter((pair) => pair.trim() !== '')
    .map((pair) => {
      const [name, value] = pair.split('=');
      if (!name || value === undefined || !Number.isFinite(Number(value))) {
        throw new Error(`--set takes name=number pairs, got ${JSON.stringify(pair)}`);
      }
      return [name.trim(), Number(value)];
    }),
) as Partial<RelaySettings>;
const wanted = values.scenarios.split(',').map((s) => s.trim());
const unknown = wanted.filter((name) => !SCENARIOS.some((s) => s.name === name));
if (unknown.length > 0) {
  throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
}

const results: ScenarioResult[] = [];
const files = values.from.split(',').filter((file) => file.trim() !== '');
for (const file of files) {
  const earlier = JSON.parse(await readFile(file.trim(), 'utf8')) as { concurrency: number; results: ScenarioResult[] };
  if (earlier.concurrency !== concurrency) {
    throw new Error(`${file} was simulated at concurrency ${earlier.concurrency}, not ${concurrency}`);
  }
  results.push(...earlier.results.filter((r) => wanted.includes(r.name)));
}
for (const spec of files.length > 0 ? [] : SCENARIOS.filter((s) => wanted.includes(s.name))) {
  if (!values.json) process.stderr.write(`simulating ${spec.name}…\n`);
  results.push(await runScenario(spec, { concurrency, seed, maxSimulated, settings, pollers }));
}

const millions = (n: number) => `${(n / 1e6).toLocaleString('en-US')} M`;
const extrapolated = results.filter((r) => r.extrapolated);
const subtitle =
  `account concurrency ${concurrency}; real handlers and use cases on a simulated AWS; ` +
  (files.length === 0 && values.pollers !== `${STANDARD_POLLERS.atStart},${STANDARD_POLLERS.rampPerMinute}`
    ? `pollers ${pollers.atStart} + ${pollers.rampPerMinute}/min; `
    : '') +
  (extrapolated.length === 0
    ? 'every item simulated'
    : `extrapolated: ${extrapolated.map((r) => `${r.name} from ${millions(r.simulatedItems)}`).join(', ')}`);
await mkdir(dirname(values.svg), { recursive: true });
await writeFile(values.svg, progressChart(results, subtitle));

if (values.json) {
  process.stdout.write(JSON.stringify({ concurrency, maxSimulated, seed, settings, pollers, results }, null, 2) + '\n');
} else {
  process.stdout.write(table(results) + `\nchart: ${values.svg}\n`);
}

function table(rows: readonly ScenarioResult[]): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const header = [
    'scenario',
    'simulated',
    'S/K',
    'time to finish',
    'steady rate/s',
    'λ invocations',
    'peak conc.',
    'DynamoDB req',
    'SQS req',
    'EventBridge req',
    'throttled req',
    'cost',
  ];
  const lines = rows.map((r) => {
    const sum = (prefix: string) =>
      Object.entries(r.requests)
        .filter(([name]) => name.startsWith(prefix))
        .reduce((total, [, count]) => total + count, 0);
    return [
      r.name,
      r.extrapolated ? `${n(r.simulatedItems)} (extrapolated)` : `${n(r.simulatedItems)} (all)`,
      r.kind === 'crawl'
        ? `S ${n(r.segments)}${r.simulatedSegments !== r.segments ? ` (sim ${n(r.simulatedSegments)})` : ''}`
        : `K ${n(r.shards)}`,
      duration(r.seconds),
      n(r.steadyRate),
      n(r.lambdaInvocations),
      n(r.peakConcurrency),
      n(sum('dynamodb.')),
      n(sum('sqs.')),
      n(sum('eventbridge.')),
      n(r.throttledRequests),
      `$${r.cost.total.toFixed(2)} (λ ${r.cost.lambda.toFixed(2)}, DDB ${r.cost.dynamodb.toFixed(2)}, SQS ${r.cost.sqs.toFixed(2)}, EB ${r.cost.eventbridge.toFixed(2)})`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const checks = rows.map(
    (r) =>
      `${r.name}: ${r.everyItemOnce ? 'every simulated item done exactly once' : 'NOT every item done once'}; ` +
      `requests by operation: ${Object.entries(r.requests)
        .map(([op, count]) => `${op} ${n(count)}`)
        .join(', ')}; wall ${r.wallSeconds.toFixed(0)} s`,
  );
  return [render(header), ...lines.map(render), '', ...checks].join('\n') + '\n';
}
