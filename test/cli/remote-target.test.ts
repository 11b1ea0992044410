import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { feedIdFor } from '../../src/domain/feed.js';
import { lockDataDir } from '../../src/entrypoints/local/data-dir-lock.js';
import { FakeManagementApi, on, type FakeRoute } from '../support/fake-management-api.js';
import { feedrelayInProcess } from './in-process.js';
import { errorOf, expectExit, jsonOf, scratch } from './support.js';

/**
 * The CLI against a management API instead of the embedded stack: `--target http://…` (a running `serve`,
 * bearer token) and `--target aws --stack NAME` (CloudFormation finds the API, SigV4 signs), each against a
 * recording stand-in for the API on loopback. Nothing here reaches AWS. The CLI runs in this process (its exit
 * statuses as a process: the other CLI suites).
 */

const FEED = { id: feedIdFor('https://a.example/feed'), url: 'https://a.example/feed', status: 'active' };

/** DescribeStacks as CloudFormation's query protocol answers it, with the given outputs. */
const describeStacksXml = (
  stack: string,
  outputs: Record<string, string>,
) => `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult><Stacks><member>
    <StackName>${stack}</StackName><StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/${stack}/1</StackId>
    <CreationTime>2026-12-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>
    <Outputs>${Object.entries(outputs)
      .map(([k, v]) => `<member><OutputKey>${k}</OutputKey><OutputValue>${v}</OutputValue></member>`)
      .join('')}</Outputs>
  </member></Stacks></DescribeStacksResult>
  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>
</DescribeStacksResponse>`;

describe('feedrelay against a management API (--target)', () => {
  const api = new FakeManagementApi();
  let url: string;
  let dir: string;
  let cleanup: () => Promise<void>;
  /** No AWS settings from the machine running the tests: no profile, no credentials files, no instance role. */
  let isolatedAws: Record<string, string>;

  beforeAll(async () => {
    url = await api.start();
    ({ dir, cleanup } = await scratch('feedrelay-remote-'));
    await mkdir(path.join(dir, 'home'));
    isolatedAws = {
      HOME: path.join(dir, 'home'),
      AWS_CONFIG_FILE: path.join(dir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PROFILE: '',
      AWS_REGION: '',
      AWS_DEFAULT_REGION: '',
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
      AWS_WEB_IDENTITY_TOKEN_FILE: '',
      FEEDRELAY_API_TOKEN: '',
      FEEDRELAY_TARGET: '',
      FEEDRELAY_STACK: '',
    };
  });
  afterAll(async () => {
    await api.stop();
    await cleanup();
  });
  beforeEach(() => api.answer());

  const run = (args: string[], env: Record<string, string> = {}) =>
    feedrelayInProcess(args, { cwd: dir, env: { ...isolatedAws, ...env } });

  describe('--target http://… (a running feedrelay serve)', () => {
    it('adds a feed with the bearer token given, printing what the embedded stack prints', async () => {
      api.answer(on('POST', '/feeds/import', { status: 200, body: { added: [FEED], existing: 0 } }));

      const result = await run(['feeds', 'add', FEED.url, '--target', url, '--token', 's3cret', '--json']);

      expectExit(result, 0);
      expect(jsonOf(result)).toEqual({ added: [FEED], existing: 0 });
      expect(api.requests.map((r) => [r.method, r.url, r.headers.authorization, JSON.parse(r.body)])).toEqual([
        ['POST', '/feeds/import', 'Bearer s3cret', { feeds: [{ url: FEED.url }] }],
      ]);
    });

    it('takes the token from FEEDRELAY_API_TOKEN, else from DATA_DIR/api-token', async () => {
      api.answer(on('GET', '/feeds', { status: 200, body: { feeds: [FEED] } }));
      const dataDir = path.join(dir, 'served');
      await mkdir(dataDir, { recursive: true });
      await writeFile(path.join(dataDir, 'api-token'), 'from-file\n', { mode: 0o600 });

      const fromEnv = await run(['feeds', 'list', '--target', url, '--json'], { FEEDRELAY_API_TOKEN: 'from-env' });
      const fromFile = await run(['feeds', 'list', '--target', url, '--data-dir', dataDir, '--json']);

      expectExit(fromEnv, 0);
      expectExit(fromFile, 0);
      expect(jsonOf(fromFile)).toEqual({ feeds: [FEED], count: 1 });
      expect(api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer from-env', 'Bearer from-file']);
    });

    it('is bad usage, naming --token, when there is no token anywhere', async () => {
      const result = await run(['feeds', 'list', '--target', url, '--json']);

      expectExit(result, 2);
      expect(errorOf(result).message).toMatch(/no API token: pass --token, set FEEDRELAY_API_TOKEN/);
      expect(api.requests).toHaveLength(0);
    });

    it("is exit 1 with the API's refusal as the error, and no stack trace", async () => {
      api.answer(on('GET', '/feeds', { status: 401, body: { error: { code: 'unauthorized', message: 'bad token' } } }));

      const result = await run(['feeds', 'list', '--target', url, '--token', 'wrong', '--json']);

      expectExit(result, 1);
      expect(errorOf(result)).toEqual({
        code: 'unauthorized',
        status: 401,
        message: 'GET /feeds: bad token (signed with the API token from --token)',
      });
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });

    it('is exit 1 connect_error when nothing listens at the target', async () => {
      const gone = new FakeManagementApi();
      const goneUrl = await gone.start();
      await gone.stop();

      const result = await run(['runs', 'list', '--target', goneUrl, '--token', 't', '--json']);

      expectExit(result, 1);
      expect(errorOf(result)).toMatchObject({
        code: 'connect_error',
        message: `cannot reach ${goneUrl}: connection refused`,
      });
    });

    it('imports JSONL checked whole first: a bad line is exit 2 and sends nothing', async () => {
      const file = path.join(dir, 'bad.jsonl');
      await writeFile(file, `{"feed": "${FEED.url}", "webhook": "https://hook.example/1"}\n{"feed": "nope"}\n`);

      const result = await run(['subscriptions', 'import', file, '--target', url, '--token', 't', '--json']);

      expectExit(result, 2);
      expect(errorOf(result).message).toContain(`${file}: line 2`);
      expect(api.requests).toHaveLength(0);
    });

    it('imports JSONL in one call per 500 lines, the secrets the API generated shown once', async () => {
      api.answer(
        on('POST', '/subscriptions/import', (r) => {
          const { subscriptions } = JSON.parse(r.body) as { subscriptions: { feed: string; webhook: string }[] };
          return {
            status: 200,
            body: {
              subscriptions: subscriptions.map(({ feed, webhook }, i) => ({
                id: webhook,
                feedId: feedIdFor(feed),
                webhook,
                createdAt: '2026-12-01T00:00:00.000Z',
                secret: `whsec_${i}`,
              })),
              created: subscriptions.length,
            },
          };
        }),
      );
      const file = path.join(dir, 'many.jsonl');
      const lines = Array.from(
        { length: 700 },
        (_, i) => `{"feed": "${FEED.url}", "webhook": "https://hook.example/${i}"}`,
      );
      await writeFile(file, `${lines.join('\n')}\n`);

      const result = await run(['subscriptions', 'import', file, '--target', url, '--token', 't', '--json']);

      expectExit(result, 0);
      expect(jsonOf(result)).toMatchObject({ imported: 700, existing: 0, total: 700 });
      expect((jsonOf(result) as { secrets: unknown[] }).secrets).toHaveLength(700);
      expect(api.requests.map((r) => r.url)).toEqual(['/subscriptions/import', '/subscriptions/import']);
    });

    it('imports JSONL one subscription per call through an API without the batch route; what it refuses is exit 1 naming each line, the rest stands', async () => {
      const subscription = (body: string) => {
        const { feed, webhook } = JSON.parse(body) as { feed: string; webhook: string };
        return {
          id: webhook,
          feedId: feedIdFor(feed),
          webhook,
          createdAt: '2026-12-01T00:00:00.000Z',
          secret: 'whsec_eA==',
        };
      };
      api.answer(
        on('POST', '/subscriptions', (r) =>
          r.body.includes('10.0.0.1')
            ? { status: 400, body: { error: { code: 'blocked_address', message: 'the webhook resolves to 10.0.0.1' } } }
            : { status: 201, body: { subscription: subscription(r.body) } },
        ),
      );
      const file = path.join(dir, 'subs.jsonl');
      await writeFile(
        file,
        [
          `{"feed": "${FEED.url}", "webhook": "https://hook.example/1"}`,
          `{"feed": "${FEED.url}", "webhook": "http://10.0.0.1/hook"}`,
          `{"feed": "${FEED.url}", "webhook": "https://hook.example/3", "secret": "whsec_bWluZQ=="}`,
        ].join('\n'),
      );

      const result = await run(['subscriptions', 'import', file, '--target', url, '--token', 't', '--json']);

      expectExit(result, 1);
      expect(jsonOf(result)).toEqual({
        error: { code: 'partial_failure', message: '1 of 3 subscription(s) failed; the others were done' },
        imported: 2,
        existing: 0,
        total: 3,
        // The secret the API generated for line 1, shown once.
        secrets: [{ line: 1, feed: FEED.url, webhook: 'https://hook.example/1', secret: 'whsec_eA==' }],
        failed: [
          {
            item: `${file}: line 2`,
            code: 'blocked_address',
            status: 400,
            message: 'POST /subscriptions: the webhook resolves to 10.0.0.1',
          },
        ],
      });
      // One try of the batch route (404 here), then each line on its own.
      expect(api.requests.map((r) => r.url)).toEqual([
        '/subscriptions/import',
        '/subscriptions',
        '/subscriptions',
        '/subscriptions',
      ]);
      expect(result.stderr).toContain(`${file}: line 2: blocked_address`);
    });

    it('starts a run without waiting for it: runs start --force', async () => {
      api.answer(on('POST', '/runs', { status: 202, body: { runId: 'run-42' } }));

      const result = await run(['runs', 'start', '--force', '--target', url, '--token', 't', '--json']);

      expectExit(result, 0);
      expect(jsonOf(result)).toEqual({ runId: 'run-42' });
      expect(JSON.parse(api.requests[0]!.body)).toEqual({ force: true });
    });

    it('refuses runs resume through a target: it works on the embedded stack only', async () => {
      const result = await run(['runs', 'resume', 'run-1', '--target', url, '--token', 't']);

      expectExit(result, 2);
      expect(result.stderr).toContain('runs resume works on the embedded stack');
    });
  });

  it('points at --target when the data directory is held (by a running serve)', async () => {
    const held = path.join(dir, 'held');
    const release = await lockDataDir(held);
    try {
      const result = await run(['feeds', 'list', '--data-dir', held, '--json']);

      expectExit(result, 1);
      expect(errorOf(result)).toMatchObject({ code: 'data_dir_busy' });
      expect(errorOf(result).message).toMatch(
        /in use by .*; to work through a running serve: --target http:\/\/127\.0\.0\.1:PORT$/,
      );
    } finally {
      await release();
    }
  });

  describe('--target aws --stack NAME', () => {
    /** CloudFormation (the query protocol, at AWS_ENDPOINT_URL_CLOUDFORMATION) and the API, on one fake. */
    const stackRoutes = (outputs: Record<string, string>): FakeRoute[] => [
      on('POST', /^\/cloudformation\/?$/, (r) =>
        r.body.includes('StackName=feedrelay-prod')
          ? { status: 200, raw: describeStacksXml('feedrelay-prod', outputs) }
          : {
              status: 400,
              raw: `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id nope does not exist</Message></Error><RequestId>2</RequestId></ErrorResponse>`,
            },
      ),
      on('GET', '/prod/feeds', { status: 200, body: { feeds: [FEED] } }),
    ];
    const aws = (env: Record<string, string> = {}) => ({
      AWS_ENDPOINT_URL_CLOUDFORMATION: `${url}/cloudformation`,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      ...env,
    });

    it('is bad usage naming --stack when the stack is missing', async () => {
      const result = await run(['feeds', 'list', '--target', 'aws', '--json']);

      expectExit(result, 2);
      expect(errorOf(result)).toEqual({
        code: 'usage',
        message: '--target aws needs --stack NAME (or FEEDRELAY_STACK): the deployed stack',
      });
    });

    it("finds the API at the stack's ApiUrl output and signs with SigV4 for execute-api in the region", async () => {
      api.answer(...stackRoutes({ ApiUrl: `${url}/prod/` }));

      const result = await run(
        ['feeds', 'list', '--target', 'aws', '--stack', 'feedrelay-prod', '--region', 'eu-west-1', '--json'],
        aws(),
      );

      expectExit(result, 0);
      expect(jsonOf(result)).toEqual({ feeds: [FEED], count: 1 });
      const [describe, list] = api.requests;
      expect(describe?.body).toContain('Action=DescribeStacks');
      expect(list?.url).toBe('/prod/feeds?limit=100');
      expect(String(list?.headers.authorization)).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=\S*host\S*, Signature=[0-9a-f]{64}$/,
      );
    });

    it('takes FEEDRELAY_TARGET, FEEDRELAY_STACK and AWS_REGION from the environment', async () => {
      api.answer(...stackRoutes({ ApiUrl: `${url}/prod/` }));

      const result = await run(
        ['feeds', 'list', '--json'],
        aws({ FEEDRELAY_TARGET: 'aws', FEEDRELAY_STACK: 'feedrelay-prod', AWS_REGION: 'us-east-2' }),
      );

      expectExit(result, 0);
      expect(String(api.requests[1]?.headers.authorization)).toContain('/us-east-2/execute-api/aws4_request');
    });

    it('says the stack has no ApiUrl output: exit 1, no stack trace', async () => {
      api.answer(...stackRoutes({ EventBusName: 'feedrelay' }));

      const result = await run(
        ['runs', 'list', '--target', 'aws', '--stack', 'feedrelay-prod', '--region', 'eu-west-1', '--json'],
        aws(),
      );

      expectExit(result, 1);
      expect(errorOf(result)).toMatchObject({ code: 'no_api_url' });
      expect(errorOf(result).message).toContain('stack feedrelay-prod has no ApiUrl output (it has EventBusName)');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });

    it('says the stack does not exist', async () => {
      api.answer(...stackRoutes({ ApiUrl: `${url}/prod/` }));

      const result = await run(
        ['runs', 'list', '--target', 'aws', '--stack', 'nope', '--region', 'eu-west-1', '--json'],
        aws(),
      );

      expectExit(result, 1);
      expect(errorOf(result)).toMatchObject({ code: 'stack_not_found' });
    });

    it('says so when there are no AWS credentials: exit 1, no stack trace', async () => {
      api.answer(...stackRoutes({ ApiUrl: `${url}/prod/` }));

      const result = await run(
        ['feeds', 'list', '--target', 'aws', '--stack', 'feedrelay-prod', '--region', 'eu-west-1', '--json'],
        aws({ AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }),
      );

      expectExit(result, 1);
      expect(errorOf(result)).toMatchObject({ code: 'no_credentials' });
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(api.requests).toHaveLength(0);
    });

    it('is bad usage naming --region when no region is configured anywhere', async () => {
      const result = await run(['feeds', 'list', '--target', 'aws', '--stack', 'feedrelay-prod', '--json'], aws());

      expectExit(result, 2);
      expect(errorOf(result).message).toContain('no AWS region: pass --region');
    });
  });
});
