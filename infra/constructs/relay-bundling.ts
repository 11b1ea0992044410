import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Charset, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LAMBDA_ENTRIES = join(PROJECT_ROOT, 'src', 'entrypoints', 'lambda');

/** The handler files of `src/entrypoints/lambda/`, one per function. */
export const RELAY_HANDLERS = [
  'start-crawl',
  'scan-feeds',
  'fetch-feed',
  'start-fan-out',
  'scan-subscribers',
  'deliver',
  'api',
] as const;
export type RelayHandler = (typeof RELAY_HANDLERS)[number];

/** The entry file esbuild starts from: it composes only what its handler needs. */
export const relayEntry = (handler: RelayHandler): string => join(LAMBDA_ENTRIES, `${handler}.ts`);

/**
 * Left to the `nodejs22.x` runtime, which ships AWS SDK v3: bundling the three clients the handlers use would
 * put 335–400 KB of SDK into each bundle. The adapters send only long-stable commands (DynamoDB item, batch,
 * query and scan operations through the document client, SendMessageBatch, PutEvents); the pinned versions run
 * locally and in tests.
 */
export const RUNTIME_PROVIDED_MODULES: readonly string[] = ['@aws-sdk/*'];

/**
 * Modules bundled as a stand-in: xml2js (under rss-parser) requires xmlbuilder for writing XML, which feedrelay
 * never does (`infra/stubs/xmlbuilder-unused.cjs`).
 */
const STAND_INS: Readonly<Record<string, string>> = {
  xmlbuilder: join(PROJECT_ROOT, 'infra', 'stubs', 'xmlbuilder-unused.cjs'),
};

/** Lets the CommonJS dependencies bundled into the ES module `require` Node's built-ins. */
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __feedrelayCreateRequire } from 'node:module'; const require = __feedrelayCreateRequire(import.meta.url);";

/** How every handler is bundled: one minified ES module with a source map, the AWS SDK left to the runtime. */
export function relayBundling(): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: CREATE_REQUIRE_BANNER,
    minify: true,
    // Error classes name themselves after their class (`this.name = new.target.name`).
    keepNames: true,
    // Feed parsing carries tables of Unicode characters: as UTF-8 they take a third of their `\u` escapes.
    charset: Charset.UTF8,
    sourceMap: true,
    sourcesContent: false,
    externalModules: [...RUNTIME_PROVIDED_MODULES],
    tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
    define: { 'process.env.FEEDRELAY_VERSION': JSON.stringify(packageVersion()) },
    esbuildArgs: Object.fromEntries(Object.entries(STAND_INS).map(([name, path]) => [`--alias:${name}`, path])),
  };
}

/**
 * The same bundling as esbuild's own options (what `NodejsFunction` turns `relayBundling()` into), for bundling
 * a handler in-process: the size test and the cold-start benchmark. Nothing is written unless `outfile` is.
 */
export function esbuildOptionsOf(handler: RelayHandler, bundling: BundlingOptions = relayBundling()): BuildOptions {
  return {
    entryPoints: [relayEntry(handler)],
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: 'node',
    outfile: join(PROJECT_ROOT, 'cdk.out', 'esbuild', handler, 'index.mjs'),
    write: false,
    metafile: true,
    logLevel: 'warning',
    format: bundling.format as BuildOptions['format'],
    target: bundling.target,
    mainFields: bundling.mainFields,
    ...(bundling.banner !== undefined ? { banner: { js: bundling.banner } } : {}),
    minify: bundling.minify,
    keepNames: bundling.keepNames,
    charset: bundling.charset as BuildOptions['charset'],
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    external: [...(bundling.externalModules ?? [])],
    tsconfig: bundling.tsconfig,
    define: bundling.define,
    alias: Object.fromEntries(
      Object.entries(bundling.esbuildArgs ?? {}).flatMap(([flag, value]) =>
        flag.startsWith('--alias:') && typeof value === 'string' ? [[flag.slice('--alias:'.length), value]] : [],
      ),
    ),
  };
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}
