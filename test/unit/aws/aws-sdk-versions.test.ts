import { readFileSync } from 'node:fs';

/**
 * The AWS SDK is released as one train: clients of different releases bring different `@aws-sdk/core` and
 * `@smithy/core` ranges, and npm then installs a copy of the core per range (each client with its own
 * middleware stack and its own credential cache). These checks fail when a client is bumped alone.
 */

interface Manifest {
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}
interface Lockfile {
  readonly packages: Record<string, { readonly version?: string }>;
}

const readJson = <T>(file: string): T =>
  JSON.parse(readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8')) as T;

const manifest = readJson<Manifest>('package.json');
const lockfile = readJson<Lockfile>('package-lock.json');

/** `@aws-sdk/client-*` and `@aws-sdk/lib-*`: the packages that are published together, release by release. */
const SDK_RELEASE_PACKAGE = /^@aws-sdk\/(client|lib)-/;

/** Every installed copy of `name` in the lockfile: `node_modules/name`, or nested under another package. */
const installedCopies = (name: string): string[] =>
  Object.entries(lockfile.packages)
    .filter(([path]) => path === `node_modules/${name}` || path.endsWith(`/node_modules/${name}`))
    .map(([path, entry]) => `${path}@${entry.version ?? '?'}`);

describe('the AWS SDK dependencies', () => {
  const declared = Object.entries({ ...manifest.dependencies, ...manifest.devDependencies }).filter(([name]) =>
    SDK_RELEASE_PACKAGE.test(name),
  );

  it('declares the AWS SDK clients it uses', () => {
    expect(declared.map(([name]) => name)).toEqual(
      expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs', '@aws-sdk/lib-dynamodb']),
    );
  });

  it('pins every @aws-sdk client and lib to one exact release', () => {
    const versions = new Set(declared.map(([, version]) => version));

    expect(Object.fromEntries(declared)).toEqual(
      Object.fromEntries(declared.map(([name]) => [name, [...versions][0]])),
    );
    expect([...versions][0]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('installs exactly the declared release of each client and lib', () => {
    for (const [name, version] of declared) {
      expect(installedCopies(name)).toEqual([`node_modules/${name}@${version}`]);
    }
  });

  it.each(['@aws-sdk/core', '@smithy/core'])('installs one copy of %s', (name) => {
    expect(installedCopies(name)).toHaveLength(1);
  });
});
