/**
 * `npm run bench`: feedrelay on the embedded stack against the loops a user would write, side by side, with
 * local feed and webhook servers on loopback. Sections: crawl, fan-out, cost (requests per unit against the
 * design's minimum, dollars per million), cold start, subscriptions import (the built CLI as a user runs it).
 * A readable report, or one JSON document with `--json`.
 *
 *   npm run bench -- --feeds 1000 --items 20 --delay-ms 100 --subscribers 20000 --concurrency 32
 *   npm run bench -- --only crawl,cost --json
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { coldStartSection } from './cold-start-section.js';
import { loadPricing } from './cost-model.js';
import { costSection } from './cost-section.js';
import { crawlSection, type CrawlSectionResult } from './crawl-section.js';
import { fanOutSection, type FanOutSectionResult } from './fanout-section.js';
import { importSection, type ImportSectionResult } from './import-section.js';
import { renderText, type BenchResult } from './report.js';
import { RssSampler } from './support.js';

const SECTIONS = ['crawl', 'fanout', 'cost', 'coldstart', 'import'] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    feeds: { type: 'string', default: '1000' },
    items: { type: 'string', default: '20' },
    'delay-ms': { type: 'string', default: '100' },
    subscribers: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
    only: { type: 'string', default: SECTIONS.join(',') },
    'budget-s': { type: 'string', default: '120' },
    'import-lines': { type: 'string', default: '20000' },
    'import-runs': { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});

function int(name: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) {
    process.stderr.write(`bench: --${name} must be a whole number ≥ ${min}, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
}

const feeds = int('feeds', values.feeds, 1);
const items = int('items', values.items, 1);
const delayMs = int('delay-ms', values['delay-ms'], 0);
const subscribers = int('subscribers', values.subscribers, 1);
const concurrency = int('concurrency', values.concurrency, 1);
const budgetMs = int('budget-s', values['budget-s'], 1) * 1000;
const importLines = int('import-lines', values['import-lines'], 1);
const importRuns = int('import-runs', values['import-runs'], 1);
const only = new Set(values.only.split(',').map((s) => s.trim()));
for (const name of only) {
  if (!SECTIONS.includes(name as Section)) {
    process.stderr.write(`bench: --only takes ${SECTIONS.join(',')}; got ${JSON.stringify(name)}\n`);
    process.exit(2);
  }
}
const progress = (line: string) => {
  if (!values.json) process.stderr.write(`… ${line}\n`);
};
const failure = (error: unknown) => ({ error: (error as Error).stack ?? String(error) });

const started = Date.now();
const rss = new RssSampler();
const peakRssMiB: Record<string, number> = {};
let crawl: CrawlSectionResult | { error: string } | undefined;
let fanOut: FanOutSectionResult | { error: string } | undefined;
let imported: ImportSectionResult | { error: string } | undefined;

if (only.has('crawl')) {
  progress(`crawl: ${feeds} feeds × ${items} items, ${delayMs} ms, concurrency ${concurrency}`);
  rss.section();
  crawl = await crawlSection({ feeds, items, delayMs, concurrency, budgetMs }).catch(failure);
  peakRssMiB.crawl = rss.section();
}
if (only.has('fanout')) {
  progress(`fan-out: ${subscribers} subscribers, concurrency ${concurrency}`);
  rss.section();
  fanOut = await fanOutSection({ subscribers, items, concurrency, budgetMs }).catch(failure);
  peakRssMiB.fanOut = rss.section();
}
if (only.has('import')) {
  rss.section();
  imported = await importSection({ lines: importLines, runs: importRuns, progress }).catch(failure);
  peakRssMiB.import = rss.section();
}
const result: BenchResult = {
  setup: {
    feeds,
    items,
    delayMs,
    subscribers,
    concurrency,
    ...(only.has('import') ? { importLines, importRuns } : {}),
    sectionBudgetS: budgetMs / 1000,
    node: process.version,
    cpus: (await import('node:os')).availableParallelism(),
  },
  ...(crawl ? { crawl } : {}),
  ...(fanOut ? { fanOut } : {}),
  ...(only.has('cost')
    ? {
        cost: costSection(
          crawl && !('error' in crawl) ? crawl : undefined,
          fanOut && !('error' in fanOut) ? fanOut : undefined,
          await loadPricing(),
          delayMs,
        ),
      }
    : {}),
  ...(only.has('coldstart') ? { coldStart: (progress('cold start'), await coldStartSection()) } : {}),
  ...(imported ? { import: imported } : {}),
  peakRssMiB: { ...peakRssMiB, process: rss.stop() },
  wallMs: Date.now() - started,
};

// Sections close their servers and stacks; anything a cut-off crawl left behind must not keep the process up.
process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : renderText(result), () => process.exit(0));
