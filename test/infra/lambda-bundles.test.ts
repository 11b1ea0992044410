import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync, stop, type Metafile } from 'esbuild';
import {
  esbuildOptionsOf,
  PROJECT_ROOT,
  RELAY_HANDLERS,
  type RelayHandler,
} from '../../infra/constructs/relay-bundling.js';

/** The budget of one handler's bundle (`index.js`, source map apart). */
const MAX_BUNDLE_BYTES = 400 * 1024;

/** The use cases each handler runs: its bundle holds those and no other. */
const USE_CASES: Record<RelayHandler, string[]> = {
  // A start reads the summaries of the latest unfinished runs, and resumes those whose work was lost.
  'start-crawl': ['resume-run', 'start-crawl-run', 'summarize-run'],
  'scan-feeds': ['scan-feeds-page'],
  'fetch-feed': ['fetch-feeds'],
  // The start scans the first page of each shard itself.
  'start-fan-out': ['scan-subscribers-page', 'start-fan-out'],
  'scan-subscribers': ['scan-subscribers-page'],
  deliver: ['deliver-batch'],
  // The management API: its routes' use cases, and a run's start as start-crawl has it.
  api: [
    'add-feeds',
    'create-subscription',
    'get-feed',
    'list-feeds',
    'list-runs',
    'list-subscriptions',
    'remove-feed',
    'resume-run',
    'rotate-subscription-secret',
    'start-crawl-run',
    'subscribe',
    'summarize-run',
    'unsubscribe',
  ],
};

/** The SDK clients each handler loads from the runtime, and nothing else of the SDK. */
const SDK_IMPORTS: Record<RelayHandler, string[]> = {
  'start-crawl': ['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs', '@aws-sdk/lib-dynamodb'],
  'scan-feeds': ['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs', '@aws-sdk/lib-dynamodb'],
  // The SQS client only when a message is dead-lettered (a dynamic import, not loaded at cold start).
  'fetch-feed': [
    '@aws-sdk/client-dynamodb',
    '@aws-sdk/client-eventbridge',
    '@aws-sdk/client-sqs',
    '@aws-sdk/lib-dynamodb',
  ],
  // KMS only when a page delivers its lone part of recipients itself (a dynamic import).
  'start-fan-out': ['@aws-sdk/client-dynamodb', '@aws-sdk/client-kms', '@aws-sdk/client-sqs', '@aws-sdk/lib-dynamodb'],
  'scan-subscribers': [
    '@aws-sdk/client-dynamodb',
    '@aws-sdk/client-kms',
    '@aws-sdk/client-sqs',
    '@aws-sdk/lib-dynamodb',
  ],
  deliver: ['@aws-sdk/client-dynamodb', '@aws-sdk/client-kms', '@aws-sdk/client-sqs', '@aws-sdk/lib-dynamodb'],
  api: ['@aws-sdk/client-dynamodb', '@aws-sdk/client-kms', '@aws-sdk/client-sqs', '@aws-sdk/lib-dynamodb'],
};

const DOCUMENT_CLIENT = ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'];

/**
 * The SDK clients each handler's cold start loads: those every invocation needs. The others load on first use
 * (see `loadedOnFirstUse`), in the invocations that need them.
 */
const SDK_AT_COLD_START: Record<RelayHandler, string[]> = {
  'start-crawl': [...DOCUMENT_CLIENT, '@aws-sdk/client-sqs'],
  'scan-feeds': [...DOCUMENT_CLIENT, '@aws-sdk/client-sqs'],
  // EventBridge when a batch discovers articles; SQS when a message is dead-lettered.
  'fetch-feed': DOCUMENT_CLIENT,
  // SQS when a discovery's fan-out is larger than the lone parts it delivers itself.
  'start-fan-out': DOCUMENT_CLIENT,
  'scan-subscribers': [...DOCUMENT_CLIENT, '@aws-sdk/client-sqs'],
  // KMS when the first webhook secret is opened; SQS when a delivery is put off or a recipient is a queue.
  deliver: DOCUMENT_CLIENT,
  // SQS when a route starts or resumes a run; KMS when one seals a subscription's secret.
  api: DOCUMENT_CLIENT,
};

/**
 * The adapter folders (`src/adapters/<family>/`) whose adapters each handler's bundle holds: every one writes
 * its relay metrics in CloudWatch's embedded metric format.
 */
const ADAPTER_FAMILIES: Record<RelayHandler, string[]> = {
  'start-crawl': ['cloudwatch', 'dynamodb', 'sqs', 'system'],
  'scan-feeds': ['cloudwatch', 'dynamodb', 'sqs', 'system'],
  // The event publisher batches with the SQS adapter's chunking, which loads no SDK.
  'fetch-feed': ['cloudwatch', 'dynamodb', 'eventbridge', 'http', 'parsing', 'sqs', 'system'],
  // A page whose recipients make a lone part delivers it itself: the sinks, loaded on first use.
  'start-fan-out': ['cloudwatch', 'crypto', 'dynamodb', 'http', 'kms', 'sqs', 'system', 'webhook'],
  'scan-subscribers': ['cloudwatch', 'crypto', 'dynamodb', 'http', 'kms', 'sqs', 'system', 'webhook'],
  // The webhook sink posts through the HTTP client and its address guard and opens secrets (crypto, kms).
  deliver: ['cloudwatch', 'crypto', 'dynamodb', 'http', 'kms', 'sqs', 'system', 'webhook'],
  // A webhook is checked by the address guard when it is subscribed.
  api: ['cloudwatch', 'crypto', 'dynamodb', 'http', 'kms', 'sqs', 'system'],
};

interface Bundle {
  readonly bytes: number;
  readonly inputs: readonly string[];
  readonly externalImports: readonly string[];
}

function bundle(handler: RelayHandler): Bundle {
  const result = buildSync(esbuildOptionsOf(handler));
  const metafile = result.metafile as Metafile;
  const [output] = Object.values(metafile.outputs).filter((o) => o.entryPoint !== undefined);
  return {
    bytes: output!.bytes,
    inputs: Object.keys(metafile.inputs),
    externalImports: [...new Set(output!.imports.filter((i) => i.external).map((i) => i.path))].sort(),
  };
}

const packagesOf = (b: Bundle): Set<string> =>
  new Set(b.inputs.flatMap((input) => input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1] ?? []));

let bundles: Record<RelayHandler, Bundle>;

beforeAll(() => {
  // The same options RelayFunction hands NodejsFunction, in-process: all seven take a second or two.
  bundles = Object.fromEntries(RELAY_HANDLERS.map((handler) => [handler, bundle(handler)])) as Record<
    RelayHandler,
    Bundle
  >;
});

// The esbuild service (a thread and a child process) would keep the test worker alive.
afterAll(() => stop());

describe('the Lambda bundles', () => {
  it.each(RELAY_HANDLERS)('bundles %s into at most 400 KB', (handler) => {
    expect(bundles[handler].bytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  });

  it.each(RELAY_HANDLERS)('puts only its own use case into the %s bundle', (handler) => {
    const useCases = bundles[handler].inputs.filter((input) => input.startsWith('src/application/use-cases/'));

    expect(useCases.sort()).toEqual(USE_CASES[handler].map((name) => `src/application/use-cases/${name}.ts`));
  });

  it.each(RELAY_HANDLERS)('puts only the adapters its use case needs into the %s bundle', (handler) => {
    // Token files aside: reading the AWS settings takes the retention defaults from dynamodb/tokens.ts.
    const families = new Set(
      bundles[handler].inputs
        .filter((input) => !input.endsWith('/tokens.ts'))
        .flatMap((input) => input.match(/^src\/adapters\/([^/]+)\//)?.[1] ?? []),
    );

    expect([...families].sort()).toEqual(ADAPTER_FAMILIES[handler]);
  });

  it.each(RELAY_HANDLERS)('leaves the AWS SDK of %s to the runtime and imports only the clients it uses', (handler) => {
    const sdkCode = [...packagesOf(bundles[handler])].filter((name) => /^@(aws-sdk|smithy)\//.test(name));
    const sdkImports = bundles[handler].externalImports.filter((path) => path.startsWith('@aws-sdk/'));

    expect(sdkCode).toEqual([]);
    expect(sdkImports).toEqual(SDK_IMPORTS[handler]);
  });

  it.each(RELAY_HANDLERS)('loads at the cold start of %s only the SDK clients every invocation needs', (handler) => {
    // Prepare: the bundle written where `@aws-sdk/*` resolves (node_modules), as the runtime's does in Lambda.
    const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const dir = mkdtempSync(join(cache, 'feedrelay-bundle-test-'));
    try {
      const file = join(dir, 'index.cjs');
      buildSync({ ...esbuildOptionsOf(handler), outfile: file, write: true });

      // Act: the module loaded as the Lambda runtime loads it, in a fresh process.
      const loaded = execFileSync(
        process.execPath,
        ['-e', 'require(process.argv[1]); process.stdout.write(JSON.stringify(Object.keys(require.cache)))', file],
        { env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', LOG_LEVEL: 'silent' }, encoding: 'utf8' },
      );

      // Assess
      const clients = (JSON.parse(loaded) as string[]).flatMap(
        (path) => path.match(/node_modules\/(@aws-sdk\/(?:client|lib)-[a-z0-9-]+)\//)?.[1] ?? [],
      );
      expect([...new Set(clients)].sort()).toEqual([...SDK_AT_COLD_START[handler]].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the XML parser (sax) in the fetch-feed bundle alone, and no second one', () => {
    const withParser = RELAY_HANDLERS.filter((handler) => packagesOf(bundles[handler]).has('sax'));
    const withOtherParsers = RELAY_HANDLERS.filter((handler) =>
      ['rss-parser', 'xml2js', 'xmlbuilder'].some((name) => packagesOf(bundles[handler]).has(name)),
    );

    expect(withParser).toEqual(['fetch-feed']);
    expect(withOtherParsers).toEqual([]);
  });

  it('uses the metadata polyfill without the Map/Set/WeakMap fallbacks that Node 22 does not need', () => {
    // Inputs are named relative to the project: `node_modules/…`, or `../…/node_modules/…` where it is a link.
    const polyfills = (handler: RelayHandler): string[] =>
      bundles[handler].inputs.flatMap(
        (input) => input.match(/(?:^|\/)node_modules\/reflect-metadata\/(.+)$/)?.[1] ?? [],
      );
    for (const handler of RELAY_HANDLERS) {
      expect(polyfills(handler)).toContain('ReflectLite.js');
      expect(polyfills(handler)).not.toContain('Reflect.js');
    }
  });
});
