/**
 * Cold start of each Lambda handler: the size of its bundle and the time Node takes to import it (module
 * init), against a hello-world ES module imported the same way. Each handler is bundled with RelayFunction's
 * own esbuild options; each import runs in a fresh `node` with a Lambda-like environment.
 *
 *   node --import tsx bench/cold-start.ts [--json] [--runs 5] [--bundle-sdk]
 *
 * `--bundle-sdk` measures the alternative RelayFunction does not deploy: the AWS SDK bundled into each handler.
 *
 * Budget: a bundle of at most 400 KB, and module init within 150 ms of the hello-world module.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import {
  esbuildOptionsOf,
  PROJECT_ROOT,
  RELAY_HANDLERS,
  type RelayHandler,
} from '../infra/constructs/relay-bundling.js';
import { QUEUES, type QueueKey } from '../src/adapters/aws-resources.js';
import { AWS_ENV, QUEUE_URL_ENV } from '../src/entrypoints/container/aws-config.js';

export const COLD_START_BUDGET = { maxBytes: 400 * 1024, maxInitOverHelloMs: 150 } as const;

export interface HandlerColdStart {
  readonly handler: RelayHandler;
  /** `index.js` as RelayFunction deploys it (the source map apart). */
  readonly bytes: number;
  /** Median wall time of loading the bundle in a fresh process, as the Lambda runtime loads it (`require`). */
  readonly initMs: number;
  /** `initMs` minus the hello-world module's. */
  readonly initOverHelloMs: number;
  /** Median CPU time (user + system) of the import: less at the mercy of a busy machine than `initMs`. */
  readonly initCpuMs: number;
  /** The runtime-provided `@aws-sdk/*` packages that the bundle requires at init (none when bundled). */
  readonly sdkPackages: readonly string[];
  /**
   * Median time of requiring `sdkPackages` alone in a fresh process, from the bundle's folder: the share of
   * `initMs` that is the AWS SDK's own load, the same for any function that uses those clients.
   */
  readonly sdkInitMs: number;
  /** `initMs` minus `sdkInitMs`: the handler's own code, its other dependencies and the built-ins they load. */
  readonly ownInitMs: number;
  /**
   * Median time of the first invocation with an empty batch: the container is built then (once per cold
   * start), not at import. `null` for start-crawl, whose first event would start a crawl run.
   */
  readonly firstEventMs: number | null;
  readonly withinBudget: boolean;
}

export interface ColdStartReport {
  readonly runs: number;
  readonly node: string;
  /** `runtime`: the AWS SDK is left to the Lambda runtime (what RelayFunction deploys); `bundled`: for comparison. */
  readonly sdk: 'runtime' | 'bundled';
  /** The 1-minute load average before and after: init times on a busy machine are not init times. */
  readonly loadAverage: readonly [number, number];
  readonly budget: typeof COLD_START_BUDGET;
  readonly helloInitMs: number;
  readonly helloInitCpuMs: number;
  readonly handlers: readonly HandlerColdStart[];
}

export interface ColdStartOptions {
  /** Fresh processes per module. Default 5. */
  readonly runs?: number;
  /** Default `runtime`, as deployed; `bundled` bundles the SDK into each handler instead. */
  readonly sdk?: 'runtime' | 'bundled';
}

/**
 * The environment the stack gives a function, with dummy resources: nothing is sent anywhere. Like RelayFunction,
 * no `NODE_OPTIONS` (source maps stay off, see `relayBundling`).
 */
function lambdaEnvironment(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_LAMBDA_FUNCTION_NAME: 'feedrelay-cold-start',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    LOG_LEVEL: 'silent',
    [AWS_ENV.tablePrefix]: 'feedrelay-bench-',
    [AWS_ENV.eventBusName]: 'feedrelay-bench-bus',
    [AWS_ENV.secretsKeyId]: 'arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000',
    ...Object.fromEntries(
      (Object.keys(QUEUES) as QueueKey[]).map((key) => [
        QUEUE_URL_ENV[key],
        `https://sqs.eu-west-1.amazonaws.com/123456789012/feedrelay-bench-${QUEUES[key].name}`,
      ]),
    ),
  };
}

/**
 * Runs in the fresh process: loads the module as the Lambda runtime does (`require` for CommonJS, `import` for an
 * ES module), then (optionally) hands the handler an empty SQS batch.
 */
const PROBE = `
import Module, { createRequire } from 'node:module';
const file = process.argv[1];
// Which runtime-provided SDK packages the bundle itself requires as it loads.
const sdk = [];
const load = Module._load;
Module._load = function (request, parent, ...rest) {
  if (parent?.filename === file && request.startsWith('@aws-sdk/') && !sdk.includes(request)) sdk.push(request);
  return load.call(this, request, parent, ...rest);
};
const cpu = process.cpuUsage();
const started = performance.now();
const module = file.endsWith('.mjs') ? await import(file) : createRequire(import.meta.url)(file);
const initMs = performance.now() - started;
const { user, system } = process.cpuUsage(cpu);
const initCpuMs = (user + system) / 1000;
Module._load = load;
if (typeof module.handler !== 'function') throw new Error('the module exports no handler');
let firstEventMs = null;
if (process.argv[2] === 'event') {
  const invoked = performance.now();
  await module.handler({ Records: [] });
  firstEventMs = performance.now() - invoked;
}
process.stdout.write(JSON.stringify({ initMs, initCpuMs, firstEventMs, sdk }));
`;

/** Runs in a fresh process: requires the SDK packages given (JSON) from the bundle's folder, as its init does. */
const SDK_PROBE = `
import { createRequire } from 'node:module';
const require = createRequire(process.argv[1]);
const packages = JSON.parse(process.argv[2]);
const started = performance.now();
for (const name of packages) require(name);
process.stdout.write(JSON.stringify({ sdkInitMs: performance.now() - started }));
`;

/** The hello-world handler in the handlers' own module format (CommonJS). */
const HELLO_WORLD = 'exports.handler = async () => ({ statusCode: 200, body: "hello" });\n';

const run = promisify(execFile);

interface Probe {
  readonly initMs: number;
  readonly initCpuMs: number;
  readonly firstEventMs: number | null;
  readonly sdk: readonly string[];
}

async function probe(file: string, withEvent: boolean): Promise<Probe> {
  const args = ['--input-type=module', '-e', PROBE, file, withEvent ? 'event' : 'import'];
  const { stdout } = await run(process.execPath, args, { env: lambdaEnvironment(), cwd: PROJECT_ROOT });
  return JSON.parse(stdout) as Probe;
}

async function probeSdk(file: string, packages: readonly string[]): Promise<number> {
  if (packages.length === 0) return 0;
  const args = ['--input-type=module', '-e', SDK_PROBE, file, JSON.stringify(packages)];
  const { stdout } = await run(process.execPath, args, { env: lambdaEnvironment(), cwd: PROJECT_ROOT });
  return (JSON.parse(stdout) as { sdkInitMs: number }).sdkInitMs;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round = (ms: number): number => Math.round(ms * 10) / 10;

/**
 * Bundles every handler into a temporary folder under node_modules (so that the pinned `@aws-sdk/*` packages
 * are found there, as the runtime's are in Lambda), then imports each bundle and the hello-world module
 * `runs` times, one process at a time, in rotation.
 */
export async function measureColdStarts(options: ColdStartOptions = {}): Promise<ColdStartReport> {
  const runs = options.runs ?? 5;
  const sdk = options.sdk ?? 'runtime';
  const loadBefore = loadavg()[0]!;
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = await mkdtemp(join(cache, 'feedrelay-cold-start-'));
  try {
    const hello = join(dir, 'hello-world', 'index.cjs');
    mkdirSync(join(dir, 'hello-world'));
    await writeFile(hello, HELLO_WORLD);

    const bundles = new Map<RelayHandler, { file: string; bytes: number }>();
    for (const handler of RELAY_HANDLERS) {
      // `.cjs`: the folder is inside this repository, whose package.json says `"type": "module"`.
      const file = join(dir, handler, 'index.cjs');
      const result = await build({
        ...esbuildOptionsOf(handler),
        ...(sdk === 'bundled' ? { external: [] } : {}),
        outfile: file,
        write: true,
      });
      bundles.set(handler, { file, bytes: (result.metafile as Metafile).outputs[relative(PROJECT_ROOT, file)]!.bytes });
    }

    const helloProbes: Probe[] = [];
    const probes = new Map<RelayHandler, Probe[]>(RELAY_HANDLERS.map((handler) => [handler, []]));
    const sdkProbes = new Map<RelayHandler, number[]>(RELAY_HANDLERS.map((handler) => [handler, []]));
    for (let i = 0; i < runs; i++) {
      helloProbes.push(await probe(hello, false));
      for (const handler of RELAY_HANDLERS) {
        const { file } = bundles.get(handler)!;
        const measured = await probe(file, handler !== 'start-crawl' && handler !== 'api');
        probes.get(handler)!.push(measured);
        sdkProbes.get(handler)!.push(await probeSdk(file, measured.sdk));
      }
    }

    const helloInitMs = median(helloProbes.map((p) => p.initMs));
    return {
      runs,
      node: process.version,
      sdk,
      loadAverage: [round(loadBefore), round(loadavg()[0]!)],
      budget: COLD_START_BUDGET,
      helloInitMs: round(helloInitMs),
      helloInitCpuMs: round(median(helloProbes.map((p) => p.initCpuMs))),
      handlers: RELAY_HANDLERS.map((handler) => {
        const { bytes } = bundles.get(handler)!;
        const measured = probes.get(handler)!;
        const initMs = median(measured.map((p) => p.initMs));
        const sdkInitMs = median(sdkProbes.get(handler)!);
        const firstEvents = measured.flatMap((p) => (p.firstEventMs === null ? [] : [p.firstEventMs]));
        return {
          handler,
          bytes,
          initMs: round(initMs),
          initOverHelloMs: round(initMs - helloInitMs),
          initCpuMs: round(median(measured.map((p) => p.initCpuMs))),
          sdkPackages: measured[0]!.sdk,
          sdkInitMs: round(sdkInitMs),
          ownInitMs: round(initMs - sdkInitMs),
          firstEventMs: firstEvents.length > 0 ? round(median(firstEvents)) : null,
          withinBudget:
            bytes <= COLD_START_BUDGET.maxBytes && initMs - helloInitMs <= COLD_START_BUDGET.maxInitOverHelloMs,
        };
      }),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function printTable(report: ColdStartReport): void {
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
  const ms = (value: number | null): string => (value === null ? '–' : `${value} ms`);
  const columns = ['handler', 'bundle', 'init', 'over hello', 'of it SDK', 'own', 'init CPU', '1st event', 'budget'];
  const widths = [18, 10, 11, 12, 11, 10, 11, 11, 8];
  const row = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('');
  const lines = [
    `cold start: median of ${report.runs} fresh processes, node ${report.node}, AWS SDK ${report.sdk === 'runtime' ? 'left to the runtime' : 'bundled'}, ` +
      `load average ${report.loadAverage[0]} → ${report.loadAverage[1]}`,
    `budget: bundle ≤ ${kb(report.budget.maxBytes)}, init ≤ hello-world + ${report.budget.maxInitOverHelloMs} ms`,
    `hello-world module: init ${report.helloInitMs} ms, CPU ${report.helloInitCpuMs} ms`,
    '',
    row(columns),
    ...report.handlers.map((h) =>
      row([
        h.handler,
        kb(h.bytes),
        ms(h.initMs),
        `+${h.initOverHelloMs} ms`,
        ms(h.sdkInitMs),
        ms(h.ownInitMs),
        ms(h.initCpuMs),
        ms(h.firstEventMs),
        h.withinBudget ? 'ok' : 'OVER',
      ]),
    ),
    '',
    '"of it SDK": the @aws-sdk packages the handler requires at init, required alone in a fresh process (in Lambda,',
    'the runtime\'s copy); "own": init minus that, the handler\'s code and its other dependencies.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      runs: { type: 'string', default: '5' },
      'bundle-sdk': { type: 'boolean', default: false },
    },
  });
  const report = await measureColdStarts({
    runs: Number(values.runs),
    sdk: values['bundle-sdk'] ? 'bundled' : 'runtime',
  });
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printTable(report);
  if (report.handlers.some((h) => !h.withinBudget)) process.exitCode = 1;
}
