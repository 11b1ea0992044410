import { execFileSync } from 'node:child_process';

/** The CLI tests run the built `feedrelay` command as a user would; build it once before the suites start. */
export default function globalSetup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
