/*
 * Bundles the `feedrelay` command as tsc built it (dist/entrypoints/cli/main.js) into dist/bundle/cli.js and
 * the chunks its commands load on demand. Node then reads a few files instead of a few hundred (inversify
 * alone is 240 ES modules, the DynamoDB client about as many CommonJS files): every command starts about a
 * quarter of a second sooner. Left outside: what runs in threads of its own or reads files beside it
 * (dynalite and its LevelDB, pino's transports, fauxqs), found in node_modules as before.
 */
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunks are named by their content: those of an earlier build would stay beside the new ones.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { cli: 'dist/entrypoints/cli/main.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['dynalite', 'fauxqs', 'pino', 'reflect-metadata'],
  // The AWS SDK is CommonJS and requires Node's modules; an ES module has no `require` of its own.
  banner: {
    js: "import { createRequire as feedrelayRequire } from 'node:module'; const require = feedrelayRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
