/** The benchmark's readable report: one block per section, aligned tables, targets next to the numbers. */
import type { ColdStartSectionResult } from './cold-start-section.js';
import type { CostBreakdown } from './cost-model.js';
import type { CostSectionResult } from './cost-section.js';
import type { CrawlSectionResult, MeasuredCrawl } from './crawl-section.js';
import type { FanOutSectionResult } from './fanout-section.js';
import type { ImportSectionResult } from './import-section.js';
import type { QueueMeters } from './support.js';

export interface BenchResult {
  readonly setup: Record<string, unknown>;
  readonly crawl?: CrawlSectionResult | { readonly error: string };
  readonly fanOut?: FanOutSectionResult | { readonly error: string };
  readonly cost?: CostSectionResult;
  readonly coldStart?: ColdStartSectionResult;
  readonly import?: ImportSectionResult | { readonly error: string };
  readonly peakRssMiB: Record<string, number>;
  readonly wallMs: number;
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const numeric = header.map((_, column) =>
    rows.every((row) => typeof row[column] === 'number' || row[column] === '—'),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => (numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const fixed = (n: number, digits = 3) => Number(n.toFixed(digits));
const verdict = (value: number, target: number) => (value <= target ? 'ok' : 'over');

function invocations(meters: QueueMeters): string {
  return Object.entries(meters)
    .map(([queue, m]) => `${queue} ${m.invocations}`)
    .join(', ');
}

function crawlRow(label: string, c: MeasuredCrawl): (string | number)[] {
  // A cut-off crawl has no summary: only its wall time and the requests counted until then.
  if (c.timedOut)
    return [`${label} (CUT OFF)`, `> ${seconds(c.wallMs)}`, '—', '—', '—', '—', '—', c.awsRequests.total, '—'];
  const perFeed = c.awsRequests.total / Math.max(1, c.feeds);
  return [
    label,
    seconds(c.wallMs),
    c.feeds,
    c.fetched,
    c.notModified,
    c.failed,
    c.newArticles,
    c.awsRequests.total,
    fixed(perFeed, 2),
  ];
}

function renderCrawl(r: CrawlSectionResult): string {
  const s = r.setup;
  const out = [
    `## 1. Crawl — ${s.feeds} feeds × ${s.items} items, answering after ${s.delayMs} ms, concurrency ${s.concurrency} (${s.formats})`,
    '',
    table(
      ['run', 'wall', 'feeds', 'fetched', '304', 'failed', 'new articles', 'AWS requests', 'per feed'],
      [
        [
          'bare loop: fetch + rss-parser',
          seconds(r.bareLoop.wallMs),
          r.bareLoop.feeds,
          r.bareLoop.feeds - r.bareLoop.failed,
          '—',
          r.bareLoop.failed,
          r.bareLoop.items,
          '—',
          '—',
        ],
        crawlRow('feedrelay: first crawl', r.first),
        ...(r.unchanged ? [crawlRow('feedrelay: all unchanged', r.unchanged)] : []),
        ...(r.mix
          ? [crawlRow(`feedrelay: mix (${r.mix.changedFeeds} feeds +${r.mix.newArticlesPerChangedFeed})`, r.mix)]
          : []),
      ],
    ),
    '',
    `first crawl / bare loop: ${r.ratio}× (target ≤ 1.5×: ${r.first.timedOut ? 'over, cut off' : r.first.failed > 0 ? `not comparable, ${r.first.failed} of ${r.first.feeds} fetches failed` : verdict(r.ratio, 1.5)})`,
    `invocations, first crawl: ${invocations(r.first.invocations)}`,
  ];
  if (r.first.failures) {
    out.push(
      `failed feeds by error: ${Object.entries(r.first.failures)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ')}`,
    );
  }
  if (r.first.failed > 0 && !r.settleCrawls) {
    out.push('no settling crawl: more than 20 % failed (overload); the next crawls count the feeds they find');
  }
  if (r.settleCrawls) {
    out.push(
      `then ${r.settleCrawls} forced, untimed crawl(s) so that every feed has validators; ${r.stillFailing ?? 0} still failing`,
    );
  }
  if (r.unchanged && !r.unchanged.timedOut) {
    out.push(
      '',
      'AWS requests per unchanged feed, by operation:',
      table(
        ['operation', 'requests', 'per feed'],
        Object.entries(r.unchanged.awsRequests.byOperation).map(([op, n]) => [op, n, r.unchanged!.perFeed[op] ?? 0]),
      ),
    );
  }
  out.push(`feed server: ${r.feedServer.total} requests, ${r.feedServer.notModified} answered 304`);
  return out.join('\n');
}

function renderFanOut(r: FanOutSectionResult): string {
  const s = r.setup;
  const a = r.app;
  return [
    `## 2. Fan-out — 1 feed gains 1 article, ${s.subscribers} webhook subscribers, concurrency ${s.concurrency}`,
    `(endpoints: ${s.subscribers} paths in ${s.endpointGroups} groups, ${s.secrets} secrets; feed answers at once; subscribing took ${seconds(s.subscribeMs)}, not timed)`,
    '',
    table(
      ['run', 'time to all', 'delivered', 'AWS requests', 'per delivery'],
      [
        ['bare loop: signed POSTs', seconds(r.bareLoop.wallMs), r.bareLoop.accepted, '—', '—'],
        [
          'feedrelay: crawl + fan-out' + (a.timedOut ? ' (CUT OFF)' : ''),
          a.delivered >= a.subscribed ? seconds(a.timeToAllMs) : `> ${seconds(a.timeToAllMs)}`,
          a.delivered,
          a.awsRequests.total,
          a.awsRequestsPerDelivery,
        ],
      ],
    ),
    '',
    `fan-out / bare loop: ${a.delivered >= a.subscribed ? '' : '> '}${r.ratio}× (target ≤ 1.5×: ${a.subscribed < s.subscribers ? `not comparable, only ${a.subscribed} subscribed within the budget` : a.delivered >= a.subscribed ? verdict(r.ratio, 1.5) : 'over'})`,
    `AWS requests per webhook delivered: ${a.awsRequestsPerDelivery} (target ≤ 0.1: ${verdict(a.awsRequestsPerDelivery, 0.1)})`,
    ...(a.projectedTimeToAllMs
      ? [
          `cut off: at the rate reached, all ${a.subscribed} would hold it after ≈ ${seconds(a.projectedTimeToAllMs)} (${fixed(a.projectedTimeToAllMs / r.bareLoop.wallMs, 1)}× the bare loop)`,
        ]
      : []),
    `crawl until idle: ${seconds(a.crawlWallMs)}; duplicates ${a.duplicates}, rejected ${a.rejected}; invocations: ${invocations(a.invocations)}`,
  ].join('\n');
}

function costRows(c: CostBreakdown): (string | number)[][] {
  const u = c.units;
  return [
    ['DynamoDB', fixed(c.usd.dynamodb, 4), `${fixed(u.writeRequestUnits)} WRU + ${fixed(u.readRequestUnits)} RRU`],
    ['SQS', fixed(c.usd.sqs, 4), `${fixed(u.sqsRequests)} requests`],
    [
      'Lambda',
      fixed(c.usd.lambda, 4),
      `${fixed(u.lambdaInvocations)} invocations, ${fixed(u.lambdaGbSeconds, 5)} GB-s`,
    ],
    ['EventBridge', fixed(c.usd.eventbridge, 4), `${fixed(u.events)} events`],
    ['total', fixed(c.usd.total, 4), ''],
  ];
}

function renderCost(r: CostSectionResult): string {
  const out = ['## 3. AWS requests per unit, measured against the design’s minimum', ''];
  if (r.requestsPerUnit.length > 0) {
    out.push(
      table(
        ['unit', 'measured', 'minimum', 'budget', 'measured / minimum'],
        r.requestsPerUnit.map((u) => [
          u.unit,
          u.measuredTotal,
          u.minimumTotal,
          u.budget ?? '—',
          fixed(u.measuredTotal / u.minimumTotal, 1),
        ]),
      ),
    );
    for (const u of r.requestsPerUnit) {
      const ops = [...new Set([...Object.keys(u.measured), ...Object.keys(u.minimum)])].sort();
      out.push(
        '',
        `${u.unit}, by operation:`,
        table(
          ['operation', 'measured', 'minimum'],
          ops.map((op) => [op, fixed(u.measured[op] ?? 0, 4), fixed(u.minimum[op] ?? 0, 4)]),
        ),
      );
    }
    const b = r.designBatches;
    out.push(
      '',
      `minimum model: Scan page ${b.feedsPerScanPage} feeds; ${b.feedsPerFetchMessage} feeds per fetch message, ${b.messagesPerSendBatch} messages per SendMessageBatch; ` +
        `a fetch message's ledger read and write, ${b.ledgerWritesPerStep} ledger writes per deliver message; ${b.articlesPerBatchWrite} articles per BatchWriteItem; ${b.recipientsPerDeliverMessage} recipients per deliver message`,
    );
  }
  out.push(
    '',
    `## 4. Cost — ${r.pricing.region} on-demand, prices as of ${r.pricing.asOf} (bench/pricing-us-east-1.json)`,
  );
  out.push(`mix: ${r.mix}`);
  if (r.perMillionFeedCrawls) {
    out.push(
      '',
      'per million feed crawls (with their deliveries):',
      table(['service', 'USD', 'per crawl'], costRows(r.perMillionFeedCrawls)),
      `total $${r.perMillionFeedCrawls.usd.total.toFixed(2)} per million feed crawls (target ≤ $${r.target.toFixed(2)}: ${verdict(r.perMillionFeedCrawls.usd.total, r.target)})`,
    );
  }
  if (r.capacityPerFeedCrawl) {
    out.push(
      '',
      'DynamoDB capacity units per feed crawl, by table (as billed, by item size):',
      table(
        ['table', 'read units', 'write units'],
        Object.entries(r.capacityPerFeedCrawl).map(([name, units]) => [name, units.read, units.write]),
      ),
    );
  }
  if (r.perMillionDeliveries) {
    out.push(
      '',
      'per million webhook deliveries:',
      table(['service', 'USD', 'per delivery'], costRows(r.perMillionDeliveries)),
    );
  }
  if (r.withCpu) {
    const { perMillionFeedCrawls: crawls, perMillionDeliveries: deliveries } = r.withCpu;
    out.push(
      '',
      'with CPU (each invocation billed at least its CPU; a TLS handshake for every feed and every receiver):',
      ...(crawls
        ? [
            `  $${crawls.usd.total.toFixed(2)} per million feed crawls (Lambda $${crawls.usd.lambda.toFixed(2)}; target ≤ $${r.target.toFixed(2)}: ${verdict(crawls.usd.total, r.target)})`,
          ]
        : []),
      ...(deliveries
        ? [
            `  $${deliveries.usd.total.toFixed(3)} per million webhook deliveries (Lambda $${deliveries.usd.lambda.toFixed(3)})`,
          ]
        : []),
    );
  }
  out.push('', 'assumptions:', ...r.assumptions.map((a) => `  - ${a}`));
  if (r.caveats.length > 0) out.push('caveats:', ...r.caveats.map((m) => `  - ${m}`));
  return out.join('\n');
}

function renderColdStart(r: ColdStartSectionResult): string {
  const head = '## 5. Cold start';
  if (!r.measured) return `${head}\ncold start: not measured (${r.reason})`;
  return `${head}\n${renderValue(r.result)}`;
}

/** A table for an array of flat records; `key: value` lines (recursively) for anything else. */
function renderValue(value: unknown, indent = ''): string {
  if (Array.isArray(value) && value.length > 0 && value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
    const rows = value as Record<string, unknown>[];
    const header = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    const cell = (v: unknown): string | number =>
      typeof v === 'number' ? v : v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    return table(
      header,
      rows.map((row) => header.map((key) => cell(row[key]))),
    )
      .split('\n')
      .map((line) => indent + line)
      .join('\n');
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>)
      .map(([key, v]) =>
        v && typeof v === 'object'
          ? `${indent}${key}:\n${renderValue(v, indent + '  ')}`
          : `${indent}${key}: ${String(v)}`,
      )
      .join('\n');
  }
  return `${indent}${JSON.stringify(value)}`;
}

function renderImport(r: ImportSectionResult): string {
  return [
    `## 6. Subscriptions import (the built CLI, a new data directory each run; load average ${r.loadAverage.join(' ')})`,
    table(
      ['feeds', 'lines', 'runs (s)', 'median', 'target', 're-import', 'imported / existing'],
      r.shapes.map((s) => {
        const counts = (o: unknown) => {
          const { imported, existing } = o as { imported?: number; existing?: number };
          return `${imported ?? '?'} / ${existing ?? '?'}`;
        };
        return [
          s.feeds,
          s.lines,
          s.wallMs.map((ms) => (ms / 1000).toFixed(2)).join(' '),
          seconds(s.medianMs),
          `${s.medianMs <= r.targetMs ? '≤' : '>'} ${seconds(r.targetMs)}`,
          seconds(s.reimportMs),
          `${counts(s.imported)}, again ${counts(s.reimported)}`,
        ];
      }),
    ),
  ].join('\n');
}

export function renderText(r: BenchResult): string {
  const blocks = [
    `feedrelay bench — ${Object.entries(r.setup)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ')}`,
  ];
  if (r.crawl) blocks.push('error' in r.crawl ? `## 1. Crawl\nfailed: ${r.crawl.error}` : renderCrawl(r.crawl));
  if (r.fanOut) blocks.push('error' in r.fanOut ? `## 2. Fan-out\nfailed: ${r.fanOut.error}` : renderFanOut(r.fanOut));
  if (r.cost) blocks.push(renderCost(r.cost));
  if (r.coldStart) blocks.push(renderColdStart(r.coldStart));
  if (r.import)
    blocks.push('error' in r.import ? `## 6. Subscriptions import\nfailed: ${r.import.error}` : renderImport(r.import));
  blocks.push(
    `peak RSS: ${Object.entries(r.peakRssMiB)
      .map(([k, v]) => `${k} ${v} MiB`)
      .join(', ')}; bench wall time ${seconds(r.wallMs)}`,
  );
  return `${blocks.join('\n\n')}\n`;
}
