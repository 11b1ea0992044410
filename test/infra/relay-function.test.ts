import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PROJECT_ROOT } from '../../infra/constructs/relay-bundling.js';
import { RelayFunction } from '../../infra/constructs/relay-function.js';
import { RelayQueue } from '../../infra/constructs/relay-queue.js';
import { STUB_CODE } from './template-queries.js';

describe('RelayFunction bundling', () => {
  let outdir: string;

  beforeAll(() => {
    // Under the project, so that the bundle finds the AWS SDK in node_modules as in Lambda it finds the runtime's.
    const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    outdir = mkdtempSync(join(cache, 'feedrelay-cdk-'));
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('bundles its handler with the local esbuild into one CommonJS module that Node requires, as Lambda does', () => {
    // Prepare
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Bundled');

    // Act
    new RelayFunction(stack, 'StartCrawl', { handler: 'start-crawl', description: 'bundled' });
    const assembly = app.synth();

    // Assess
    const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as {
      Properties: { Code: { S3Key: string }; Handler: string; Environment: { Variables: Record<string, string> } };
    }[];
    const assetDir = join(assembly.directory, `asset.${fn!.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
    const bundle = join(assetDir, 'index.js');
    expect(fn!.Properties.Handler).toBe('index.handler');
    // The source map is deployed, not enabled: reading it would cost every cold start (see relayBundling).
    expect(fn!.Properties.Environment.Variables.NODE_OPTIONS).toBeUndefined();
    expect(existsSync(`${bundle}.map`)).toBe(true);
    // The asset says it is CommonJS, so that no package.json around it (this repository's says "module") decides.
    expect(JSON.parse(readFileSync(join(assetDir, 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/^\s*(import|export)\b/m);
    const load = spawnSync(
      process.execPath,
      ['-e', `const m = require(${JSON.stringify(bundle)}); console.log(typeof m.handler);`],
      { encoding: 'utf8' },
    );
    expect({ status: load.status, stdout: load.stdout.trim(), stderr: load.stderr }).toMatchObject({
      status: 0,
      stdout: 'function',
    });
  });
});

describe('RelayFunction bindings', () => {
  function consumerOf(key: 'fetchFeed' | 'deliver'): { fn: RelayFunction; queue: RelayQueue; stack: Stack } {
    const stack = new Stack(new App(), 'Guards');
    const queue = new RelayQueue(stack, 'Queue', key);
    const fn = new RelayFunction(stack, 'Fn', {
      handler: 'fetch-feed',
      description: 'guards',
      consumes: queue,
      code: STUB_CODE,
    });
    return { fn, queue, stack };
  }

  it('refuses to let a consumer send to its own queue unless QUEUES declares that queue a relay', () => {
    const { fn, queue } = consumerOf('fetchFeed');

    expect(() => fn.bindQueue(queue, 'send')).toThrow('fetch-feed is not declared recursive');
  });

  it('lets a relay send to its own queue', () => {
    const { fn, queue } = consumerOf('deliver');

    expect(() => fn.bindQueue(queue, 'send')).not.toThrow();
  });

  it('consumes only the queue its time-out was sized for', () => {
    const { fn, stack } = consumerOf('fetchFeed');
    const other = new RelayQueue(stack, 'Other', 'deliver');

    expect(() => fn.bindQueue(other, 'consume')).toThrow('consumes only the queue its time-out was sized for');
  });

  it('takes the time-out of a consumer from its queue, not from a prop', () => {
    const stack = new Stack(new App(), 'Timeout');
    const queue = new RelayQueue(stack, 'Queue', 'fetchFeed');

    expect(
      () =>
        new RelayFunction(stack, 'Fn', {
          handler: 'fetch-feed',
          description: 'timeout',
          consumes: queue,
          timeout: Duration.seconds(5),
          code: STUB_CODE,
        }),
    ).toThrow('a consumer takes its time-out from its queue definition');
  });
});
