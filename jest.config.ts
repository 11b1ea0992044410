/**
 * @jest-config-loader ts-node
 * @jest-config-loader-options {"transpileOnly": true, "compilerOptions": {"module": "CommonJS", "moduleResolution": "Node10"}}
 */
// ts-node only transpiles this file (type checking it is `npm run lint`'s job): seconds saved on every run.
import type { Config } from 'jest';

/**
 * Jest runs the TypeScript sources as native ES modules (fauxqs and inversify 8 are ESM-only),
 * so `npm test` starts node with --experimental-vm-modules. ts-jest only transpiles, file by file
 * (`isolatedModules` in tsconfig.json): the type checker runs in `npm run lint`, not once per test file.
 *
 * Two projects, both run by CI (in package.json, `--passWithNoTests=false`, Jest's default, ends the list of
 * `--selectProjects` so that `npm test -- FILE` still runs just FILE):
 * - `fast` (`npm test`): unit, contract, embedded-stack integration, CDK, and the CLI (crawl, parse, fetch,
 *   serve, data dir, usage), in-process through its `main()` (test/cli/in-process.ts) but for what only a process
 *   shows: the suite to run after every change.
 * - `e2e` (`npm run test:e2e`): the long end-to-end scenarios, chains of processes: `kill -9` in every phase
 *   of a crawl, stop signals, fault matrices, the 500-feed crawl, and the management commands' scenarios.
 */

/**
 * The long end-to-end suites: `npm run test:e2e` runs them, `npm test` does not. Each starts dozens of
 * `feedrelay` processes in a row; what they check in-process is also covered by the fast suite's integration
 * and CLI tests.
 */
const E2E_SUITES = [
  // kill -9 in each phase of a crawl and of serve, and stop signals
  '<rootDir>/test/cli/crash-recovery.test.ts',
  '<rootDir>/test/cli/stop-signals.test.ts',
  // fault matrices and scale
  '<rootDir>/test/cli/crawl-faults.test.ts',
  '<rootDir>/test/integration/crawl-faults.test.ts',
  '<rootDir>/test/integration/crawl-500-feeds.test.ts',
  // the management commands' scenarios, one process per command: feeds, subscriptions, dead letters, politeness
  '<rootDir>/test/cli/feeds-subscriptions.test.ts',
  '<rootDir>/test/cli/input-all-or-nothing.test.ts',
  '<rootDir>/test/cli/dlq.test.ts',
  '<rootDir>/test/cli/crawl-polite.test.ts',
];

type Project = Exclude<NonNullable<Config['projects']>[number], string>;

const project: Project = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  setupFiles: ['reflect-metadata'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }],
  },
};

const config: Config = {
  globalSetup: '<rootDir>/test/global-setup.ts',
  // A global option: Jest ignores it inside a project.
  testTimeout: 60_000,
  projects: [
    { ...project, displayName: 'fast', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: E2E_SUITES },
    { ...project, displayName: 'e2e', testMatch: E2E_SUITES },
  ],
  // Many suites wait on sockets and child processes rather than the CPU: two workers on CI's two cores.
  maxWorkers: 2,
};

export default config;
