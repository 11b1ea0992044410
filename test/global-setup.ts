import { execFileSync } from 'node:child_process';

/**
 * The CLI tests run the built `feedrelay` command as a user would; build it once before the suites start.
 * `tsc -b` compiles only when a source is newer than the last build (`npm ci` has just built it in CI); the
 * bundle the command runs is made again from what it compiled (half a second).
 */
export default function globalSetup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  execFileSync(process.execPath, ['scripts/bundle-cli.mjs'], { stdio: 'inherit' });
}
