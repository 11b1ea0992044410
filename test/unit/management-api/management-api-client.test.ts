import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ManagementApiError } from '../../../src/adapters/management-api/errors.js';
import { ManagementApiClient } from '../../../src/adapters/management-api/management-api-client.js';
import { BearerTokenSigner } from '../../../src/adapters/management-api/request-signers.js';
import { SigV4RequestSigner } from '../../../src/adapters/management-api/sigv4-request-signer.js';
import { FakeManagementApi, on, type RecordedRequest } from '../../support/fake-management-api.js';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SIGNED_AT = new Date('2026-12-01T10:20:30Z');
const REGION = 'eu-west-1';

/**
 * Checks a recorded request's SigV4 signature from first principles (the AWS specification, not the signing
 * library): canonical request, string to sign, derived key, HMAC. Returns the signature it expects.
 */
function expectedSignature(request: RecordedRequest, secretAccessKey: string): { header: string; signature: string } {
  const header = String(request.headers.authorization);
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      header,
    );
  if (!match) throw new Error(`not a SigV4 Authorization header: ${header}`);
  const [, , day, region, service, signedHeaders] = match;
  const url = new URL(request.url, 'http://placeholder');
  const query = [...url.searchParams]
    .map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders!.split(';');
  const canonicalHeaders = names.map((name) => `${name}:${String(request.headers[name]).trim()}\n`).join('');
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  const canonicalRequest = [request.method, url.pathname, query, canonicalHeaders, signedHeaders, payloadHash].join(
    '\n',
  );
  const longDate = String(request.headers['x-amz-date']);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    longDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day!), region!), service!), 'aws4_request');
  return { header, signature: createHmac('sha256', key).update(stringToSign).digest('hex') };
}

describe('ManagementApiClient', () => {
  const api = new FakeManagementApi();
  let base: URL;

  beforeAll(async () => {
    base = new URL(await api.start());
  });
  afterAll(() => api.stop());
  beforeEach(() => api.answer());

  const bearer = (timeoutMs = 5000) =>
    new ManagementApiClient(base, new BearerTokenSigner('t0ken', 'the given API token'), { timeoutMs });
  const sigv4 = (secretAccessKey = CREDENTIALS.secretAccessKey) =>
    new ManagementApiClient(
      base,
      new SigV4RequestSigner({
        region: REGION,
        credentials: { ...CREDENTIALS, secretAccessKey },
        now: () => SIGNED_AT,
      }),
      { timeoutMs: 5000 },
    );

  describe('with a bearer token', () => {
    it('sends Authorization: Bearer and a JSON body, and returns the status and the JSON answer', async () => {
      api.answer(on('POST', '/feeds', { status: 201, body: { feed: { id: 'f1', url: 'https://a.example/feed' } } }));

      const answer = await bearer().request('POST', '/feeds', { body: { url: 'https://a.example/feed' } });

      expect(answer).toEqual({ status: 201, body: { feed: { id: 'f1', url: 'https://a.example/feed' } } });
      const [sent] = api.requests;
      expect(sent?.headers.authorization).toBe('Bearer t0ken');
      expect(sent?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(sent!.body)).toEqual({ url: 'https://a.example/feed' });
    });

    it('keeps a stage path of the base URL in front of every route', async () => {
      api.answer(on('GET', '/prod/runs', { status: 200, body: { runs: [] } }));
      const client = new ManagementApiClient(new URL('/prod/', base), new BearerTokenSigner('t', 'token'), {
        timeoutMs: 5000,
      });

      await client.request('GET', '/runs');

      expect(api.requests.map((r) => r.url)).toEqual(['/prod/runs']);
    });
  });

  describe('with SigV4', () => {
    it('signs for execute-api in the region at the given time, with a signature the specification reproduces', async () => {
      api.answer(on('GET', '/feeds', { status: 200, body: { feeds: [] } }));

      await sigv4().request('GET', '/feeds', { query: { limit: '2', cursor: 'abc=' } });

      const [sent] = api.requests;
      const { header, signature } = expectedSignature(sent!, CREDENTIALS.secretAccessKey);
      expect(header).toContain(`Credential=AKIDEXAMPLE/20261201/${REGION}/execute-api/aws4_request`);
      expect(header).toMatch(/SignedHeaders=[^,]*\bhost\b[^,]*\bx-amz-date\b/);
      expect(sent?.headers['x-amz-date']).toBe('20261201T102030Z');
      expect(header.endsWith(`Signature=${signature}`)).toBe(true);
    });

    it('covers the body: a POST signature matches its payload hash', async () => {
      api.answer(on('POST', '/subscriptions', { status: 201, body: { subscription: { id: 's' } } }));

      await sigv4().request('POST', '/subscriptions', { body: { feed: 'https://a.example/', webhook: 'https://h/' } });

      const [sent] = api.requests;
      expect(String(sent?.headers.authorization)).toMatch(/SignedHeaders=[^,]*\bcontent-type\b/);
      expect(
        String(sent?.headers.authorization).endsWith(expectedSignature(sent!, CREDENTIALS.secretAccessKey).signature),
      ).toBe(true);
    });

    it('signs with the secret it was given: another secret does not verify', async () => {
      api.answer(on('GET', '/runs', { status: 200, body: { runs: [] } }));

      await sigv4('another-secret').request('GET', '/runs');

      const [sent] = api.requests;
      expect(
        String(sent?.headers.authorization).endsWith(expectedSignature(sent!, CREDENTIALS.secretAccessKey).signature),
      ).toBe(false);
    });

    it('turns a credential provider that finds nothing into no_credentials, before anything is sent', async () => {
      const client = new ManagementApiClient(
        base,
        new SigV4RequestSigner({
          region: REGION,
          credentials: async () => {
            throw Object.assign(new Error('Could not load credentials from any providers'), {
              name: 'CredentialsProviderError',
            });
          },
        }),
        { timeoutMs: 5000 },
      );

      const failure = await client.request('GET', '/feeds').catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(ManagementApiError);
      expect(failure).toMatchObject({ code: 'no_credentials' });
      expect((failure as Error).message).toContain('AWS_PROFILE');
      expect(api.requests).toHaveLength(0);
    });
  });

  describe('paging', () => {
    it('follows next until a page has none, sending the page size and each cursor', async () => {
      const pages: Record<string, { feeds: { id: string }[]; next?: string }> = {
        '': { feeds: [{ id: 'a' }, { id: 'b' }], next: 'c1' },
        c1: { feeds: [{ id: 'c' }, { id: 'd' }], next: 'c2' },
        c2: { feeds: [{ id: 'e' }] },
      };
      api.answer(on('GET', '/feeds', (r) => ({ status: 200, body: pages[r.query.get('cursor') ?? ''] })));

      const ids: string[] = [];
      for await (const feed of bearer().pages<{ id: string }>('/feeds', 'feeds', 2)) ids.push(feed.id);

      expect(ids).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(api.requests.map((r) => r.url)).toEqual([
        '/feeds?limit=2',
        '/feeds?limit=2&cursor=c1',
        '/feeds?limit=2&cursor=c2',
      ]);
    });

    it('stops with bad_response when the API sends back the cursor it was given', async () => {
      api.answer(on('GET', '/feeds', { status: 200, body: { feeds: [{ id: 'a' }], next: 'same' } }));

      const reading = async () => {
        for await (const _ of bearer().pages('/feeds', 'feeds', 2));
      };

      await expect(reading()).rejects.toMatchObject({ code: 'bad_response' });
      expect(api.requests).toHaveLength(2);
    });
  });

  describe('errors', () => {
    it("keeps the API's own code and message and the status", async () => {
      api.answer(
        on('POST', '/feeds', { status: 400, body: { error: { code: 'invalid_field', message: '"url" is required' } } }),
      );

      const failure = await bearer()
        .request('POST', '/feeds', { body: {} })
        .catch((error: unknown) => error);

      expect(failure).toMatchObject({ code: 'invalid_field', status: 400 });
      expect((failure as Error).message).toBe('POST /feeds: "url" is required');
    });

    it('names the credentials used when API Gateway refuses ({"message": "Forbidden"})', async () => {
      api.answer(on('GET', '/feeds', { status: 403, body: { message: 'Forbidden' } }));

      const failure = await sigv4()
        .request('GET', '/feeds')
        .catch((error: unknown) => error);

      expect(failure).toMatchObject({ code: 'forbidden', status: 403 });
      expect((failure as Error).message).toBe('GET /feeds: Forbidden (signed with AWS credentials (SigV4, eu-west-1))');
    });

    it('is unauthorized on a 401 without a body, naming the token used', async () => {
      api.answer(on('GET', '/runs', { status: 401 }));

      await expect(bearer().request('GET', '/runs')).rejects.toMatchObject({
        code: 'unauthorized',
        status: 401,
        message: 'GET /runs: HTTP 401 (signed with the given API token)',
      });
    });

    it('is http_error on a 5xx that is not JSON, and bad_response on a 2xx that is not JSON', async () => {
      api.answer(
        on('GET', '/runs', { status: 502, raw: '<html>Bad Gateway</html>' }),
        on('GET', '/feeds', { status: 200, raw: '<html>hello</html>' }),
      );

      await expect(bearer().request('GET', '/runs')).rejects.toMatchObject({ code: 'http_error', status: 502 });
      await expect(bearer().request('GET', '/feeds')).rejects.toMatchObject({ code: 'bad_response', status: 200 });
    });

    it('takes a status the caller accepts as an answer (404 on a delete)', async () => {
      api.answer(
        on('DELETE', /^\/feeds\//, { status: 404, body: { error: { code: 'not_found', message: 'no feed' } } }),
      );

      const answer = await bearer().request('DELETE', '/feeds/abc', { accept: [404] });

      expect(answer.status).toBe(404);
    });

    it('is timeout when the API does not answer in time', async () => {
      api.answer(on('GET', '/runs', 'hang'));

      const failure = await bearer(200)
        .request('GET', '/runs')
        .catch((error: unknown) => error);

      expect(failure).toMatchObject({ code: 'timeout' });
      expect((failure as Error).message).toContain('within 200 ms');
    });

    it('is connect_error, naming the address, when nothing listens there', async () => {
      const closed = new FakeManagementApi();
      const url = new URL(await closed.start());
      await closed.stop();
      const client = new ManagementApiClient(url, new BearerTokenSigner('t', 'token'), { timeoutMs: 5000 });

      await expect(client.request('GET', '/feeds')).rejects.toMatchObject({
        code: 'connect_error',
        message: `cannot reach ${url.origin}: connection refused`,
      });
    });
  });
});
