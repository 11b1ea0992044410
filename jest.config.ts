import type { Config } from 'jest';

/**
 * Jest runs the TypeScript sources as native ES modules (fauxqs and inversify 8 are ESM-only),
 * so `npm test` starts node with --experimental-vm-modules.
 */
const config: Config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  setupFiles: ['reflect-metadata'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60_000,
  // Many suites wait on sockets and child processes rather than the CPU: two workers on CI's two cores.
  maxWorkers: 2,
};

export default config;
