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
 * Marks the bundle's folder as CommonJS, whatever surrounds it: Lambda's `/var/task` has no package.json, but
 * a bundle loaded under this repository (`"type": "module"`) would otherwise be read as an ES module.
 */
export const BUNDLE_PACKAGE_JSON = '{"type":"commonjs"}';

/**
 * How every handler is bundled: one minified CommonJS module with a source map, the AWS SDK left to the runtime.
 *
 * The map is deployed but not enabled (no `NODE_OPTIONS=--enable-source-maps` on the functions): Node would read
 * and index it as it loads the bundle, about an eighth of every cold start (`npm run bench:cold-start`). Stack
 * traces keep the functions' and classes' names (`keepNames`); setting `NODE_OPTIONS=--enable-source-maps` on a
 * function maps them to the TypeScript sources, at that price.
 *
 * CommonJS, not an ES module, for the cold start: the runtime's SDK is CommonJS, and an ES module importing it
 * makes Node scan every SDK file for its exports (cjs-module-lexer) and resolve it through the ESM loader — about
 * 70 ms of a 200 ms init (`npm run bench:cold-start`). `require` skips both. The ES-module-only dependencies
 * (inversify) are converted by esbuild.
 */
export function relayBundling(): BundlingOptions {
  return {
    format: OutputFormat.CJS,
    target: 'node22',
    mainFields: ['module', 'main'],
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
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_input: string, output: string) => [
        `echo '${BUNDLE_PACKAGE_JSON}' > "${join(output, 'package.json')}"`,
      ],
    },
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
    outfile: join(PROJECT_ROOT, 'cdk.out', 'esbuild', handler, 'index.js'),
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
  };
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}
