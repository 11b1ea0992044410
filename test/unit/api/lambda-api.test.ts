import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ContainerModule } from 'inversify';
import { pino } from 'pino';
import { TOKENS } from '../../../src/application/tokens.js';
import {
  GuardedSinkAddressPolicy,
  SINK_ADDRESS_OPTIONS,
} from '../../../src/adapters/http/guarded-sink-address-policy.js';
import { createManagementApi } from '../../../src/entrypoints/api/management-api.js';
import { applicationModule } from '../../../src/entrypoints/container/application.module.js';
import { compose } from '../../../src/entrypoints/container/compose.js';
import { createMemoryAdapters, memoryModule } from '../../support/memory/memory-module.js';
import { apiGatewayHandler } from '../../../src/entrypoints/lambda/api.js';
import {
  describeManagementApiContract,
  expectError,
  type ApiAnswer,
  type ApiCall,
} from '../../contract/management-api.contract.js';

/** The API on the in-memory adapters, with the address guard deliveries have in AWS (no network allowed). */
function lambdaApi() {
  const adapters = createMemoryAdapters();
  const container = compose(
    applicationModule(),
    memoryModule(adapters),
    new ContainerModule(({ bind, rebind }) => {
      bind(SINK_ADDRESS_OPTIONS).toConstantValue({ allowedNetworks: [], resolve: async () => [] });
      rebind(TOKENS.SinkAddressPolicy).to(GuardedSinkAddressPolicy);
    }),
  );
  return { adapters, handler: apiGatewayHandler(createManagementApi(container, pino({ level: 'silent' }))) };
}

/** An HTTP API (payload 2.0) event as API Gateway sends it after IAM authorized the caller. */
function eventOf(method: string, target: string, call: ApiCall = {}, stage = '$default'): APIGatewayProxyEventV2 {
  const [rawPath, rawQueryString = ''] = target.split('?', 2) as [string, string?];
  const body = call.json !== undefined ? Buffer.from(JSON.stringify(call.json)) : call.body;
  const contentType = call.contentType ?? (body !== undefined ? 'application/json' : undefined);
  const path = stage === '$default' ? rawPath : `/${stage}${rawPath}`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers: {
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      ...(contentType !== undefined ? { 'content-type': contentType } : {}),
      ...call.headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: 'r1',
      routeKey: 'ANY /{proxy+}',
      stage,
      time: '01/Dec/2026:10:00:00 +0000',
      timeEpoch: 0,
    },
    // API Gateway base64-encodes bodies it does not take for text; both forms arrive.
    ...(body !== undefined
      ? typeof body === 'string'
        ? { body, isBase64Encoded: false }
        : { body: body.toString('base64'), isBase64Encoded: true }
      : { isBase64Encoded: false }),
  };
}

async function send(
  handler: ReturnType<typeof lambdaApi>['handler'],
  event: APIGatewayProxyEventV2,
): Promise<ApiAnswer> {
  const result = await handler(event);
  return {
    status: result.statusCode ?? 200,
    headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
    text: result.body ?? '',
  };
}

let api: ReturnType<typeof lambdaApi>;
beforeAll(() => {
  api = lambdaApi();
});

describeManagementApiContract('the api Lambda (API Gateway HTTP API events)', () => ({
  client: (method, path, call) => send(api.handler, eventOf(method, path, call)),
  blockedWebhook: 'http://10.1.2.3/hook',
}));

describe('the api Lambda', () => {
  it('reads a path under a named stage without the stage', async () => {
    const fresh = lambdaApi();

    const answer = await send(fresh.handler, eventOf('GET', '/feeds?limit=5', {}, 'prod'));

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ feeds: [] });
  });

  it('reads a plain-text body as well as a base64 one', async () => {
    const fresh = lambdaApi();

    const plain = await send(fresh.handler, eventOf('POST', '/feeds', { body: '{"url": "https://a.example/feed"}' }));
    const encoded = await send(
      fresh.handler,
      eventOf('POST', '/feeds', { body: Buffer.from('{"url": "https://b.example/feed"}') }),
    );

    expect([plain.status, encoded.status]).toEqual([201, 201]);
  });

  it('answers 409 with the run that is still fetching when a second run is asked for', async () => {
    const fresh = lambdaApi();
    await send(fresh.handler, eventOf('POST', '/feeds', { json: { url: 'https://a.example/feed' } }));

    const first = await send(fresh.handler, eventOf('POST', '/runs', {}));
    const second = await send(fresh.handler, eventOf('POST', '/runs', { json: {} }));

    expect(first.status).toBe(202);
    expectError(second, 409, 'run_in_progress', JSON.parse(first.text).runId);
    expect(JSON.parse(second.text).error.runId).toBe(JSON.parse(first.text).runId);
  });

  it('answers 500 with a generic message, and no detail, when a store fails', async () => {
    const fresh = lambdaApi();
    fresh.adapters.feeds.get = async () => {
      throw new Error('connection reset by a store at /var/task/index.mjs:1:2');
    };

    const answer = await send(fresh.handler, eventOf('GET', '/feeds/0123456789abcdef01234567'));

    expectError(answer, 500, 'internal_error');
    expect(answer.text).not.toContain('connection reset');
  });
});
