import { spawn, type ChildProcess } from 'node:child_process';
import { stat, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import {
  describeManagementApiContract,
  expectError,
  type ApiAnswer,
  type ApiCall,
} from '../contract/management-api.contract.js';
import { LOOPBACK, repoRoot, scratch } from './support.js';

/** A running `feedrelay serve`: its API's port, the token it showed, and how it was started. */
interface Served {
  readonly child: ChildProcess;
  readonly port: number;
  readonly token: string | undefined;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

async function startServe(dir: string, env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'bin/feedrelay.js'),
      'serve',
      '--port',
      '0',
      '--schedule',
      '0 0 1 1 *',
      '--stop-grace-ms',
      '1000',
      '--data-dir',
      dir,
    ],
    {
      env: { ...process.env, ...LOOPBACK, FEEDRELAY_FAULTS: '', FEEDRELAY_API_TOKEN: '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /API on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*every request needs/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  const token = /API token(?: \(new\))? in \S+: (\S+)/.exec(stderr)?.[1];
  return { child, port, token, stderr: () => stderr, exited };
}

/** One raw HTTP request (any Host, any Origin, any body), answered as the contract suite reads answers. */
function request(port: number, method: string, target: string, call: ApiCall = {}): Promise<ApiAnswer> {
  const body = call.json !== undefined ? Buffer.from(JSON.stringify(call.json)) : call.body;
  const contentType = call.contentType ?? (body !== undefined ? 'application/json' : undefined);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: target,
        headers: {
          ...(contentType !== undefined ? { 'content-type': contentType } : {}),
          ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
          ...call.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: Object.fromEntries(
              Object.entries(response.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
            ),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    // The server may answer (413) and close before the whole body is written.
    outgoing.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? undefined : reject(error)));
    outgoing.end(body);
  });
}

let served: Served;
let cleanup: () => Promise<void>;
let dir: string;

beforeAll(async () => {
  ({ dir, cleanup } = await scratch('feedrelay-serve-api-'));
  served = await startServe(dir);
}, 60_000);

afterAll(async () => {
  served.child.kill('SIGTERM');
  await served.exited;
  await cleanup();
});

const authorized = (call: ApiCall = {}): ApiCall => ({
  ...call,
  headers: { authorization: `Bearer ${served.token}`, ...call.headers },
});

describeManagementApiContract('feedrelay serve (HTTP on loopback)', () => ({
  client: (method, target, call) => request(served.port, method, target, authorized(call)),
  // Loopback is allowed here (FEEDRELAY_ALLOW_NETWORKS=127.0.0.0/8); 10.0.0.0/8 is not.
  blockedWebhook: 'http://10.1.2.3/hook',
}));

describe('feedrelay serve: the local API is not an open door', () => {
  const ROUTES: [string, string][] = [
    ['GET', '/feeds'],
    ['POST', '/feeds'],
    ['GET', '/feeds/0123456789abcdef01234567'],
    ['DELETE', '/feeds/0123456789abcdef01234567'],
    ['POST', '/subscriptions'],
    ['GET', '/feeds/0123456789abcdef01234567/subscriptions'],
    ['DELETE', '/feeds/0123456789abcdef01234567/subscriptions/fedcba9876543210fedcba98'],
    ['POST', '/runs'],
    ['GET', '/runs'],
    ['GET', '/runs/0123456789abcdef'],
    ['GET', '/nowhere'],
  ];
  const bodyOf = (method: string): ApiCall => (method === 'POST' ? { json: {} } : {});

  it('generates a token into <data-dir>/api-token, readable by its owner only, and shows it at start', async () => {
    const file = path.join(dir, 'api-token');

    expect(served.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await readFile(file, 'utf8')).trim()).toBe(served.token);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it.each(ROUTES)('%s %s without a token is 401', async (method, target) => {
    const answer = await request(served.port, method, target, bodyOf(method));

    expectError(answer, 401, 'unauthorized');
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it.each(ROUTES)('%s %s with a wrong token is 401', async (method, target) => {
    const wrong = { headers: { authorization: `Bearer ${served.token!.slice(1)}x` } };

    expectError(await request(served.port, method, target, { ...bodyOf(method), ...wrong }), 401, 'unauthorized');
    expectError(
      await request(served.port, method, target, { ...bodyOf(method), headers: { authorization: served.token! } }),
      401,
    );
  });

  it.each(ROUTES)('%s %s with a foreign Host (DNS rebinding) is 403, token or not', async (method, target) => {
    const answer = await request(
      served.port,
      method,
      target,
      authorized({ ...bodyOf(method), headers: { host: `rebind.example:${served.port}` } }),
    );

    expectError(answer, 403, 'forbidden_host');
  });

  it.each(ROUTES)('%s %s from a foreign Origin is 403, token or not', async (method, target) => {
    const answer = await request(
      served.port,
      method,
      target,
      authorized({ ...bodyOf(method), headers: { origin: 'https://evil.example' } }),
    );

    expectError(answer, 403, 'forbidden_origin');
  });

  it('answers the same loopback origin and the localhost name', async () => {
    const sameOrigin = await request(
      served.port,
      'GET',
      '/runs',
      authorized({ headers: { origin: `http://127.0.0.1:${served.port}` } }),
    );
    const byName = await request(
      served.port,
      'GET',
      '/runs',
      authorized({ headers: { host: `localhost:${served.port}` } }),
    );

    expect([sameOrigin.status, byName.status]).toEqual([200, 200]);
  });

  it('refuses the cross-site text/plain POST a web page can send, and adds nothing', async () => {
    const url = `https://feeds.example.com/cross-site-${process.pid}.xml`;
    const form = { body: JSON.stringify({ url }), contentType: 'text/plain' };

    const crossSite = await request(served.port, 'POST', '/feeds', {
      ...form,
      headers: { origin: 'https://evil.example' },
    });
    const noOrigin = await request(served.port, 'POST', '/feeds', form);
    const evenWithToken = await request(served.port, 'POST', '/feeds', authorized(form));
    const listed = JSON.parse((await request(served.port, 'GET', '/feeds?limit=1000', authorized())).text) as {
      feeds: { url: string }[];
    };

    expectError(crossSite, 403);
    expectError(noOrigin, 401);
    expectError(evenWithToken, 415, 'unsupported_media_type');
    expect(listed.feeds.map((f) => f.url)).not.toContain(url);
  });
});

describe('feedrelay serve: a body over 1 MiB', () => {
  it('is answered 413 while it is still arriving, without a Content-Length, and nothing is added', async () => {
    // Prepare: a chunked body (no length announced), 64 KiB at a time, well past 1 MiB.
    const url = `https://feeds.example.com/too-large-${process.pid}.xml`;
    const answer = await new Promise<ApiAnswer>((resolve, reject) => {
      const outgoing = http.request(
        {
          host: '127.0.0.1',
          port: served.port,
          method: 'POST',
          path: '/feeds',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${served.token}` },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, headers: {}, text: Buffer.concat(chunks).toString() }),
          );
        },
      );
      outgoing.on('error', (error: NodeJS.ErrnoException) =>
        ['EPIPE', 'ECONNRESET'].includes(error.code ?? '') ? undefined : reject(error),
      );
      outgoing.write(`{"url": "${url}", "title": "`);
      for (let i = 0; i < 20; i++) outgoing.write(Buffer.alloc(64 * 1024, 0x61));
      outgoing.end('"}');
    });
    const listed = JSON.parse((await request(served.port, 'GET', '/feeds?limit=1000', authorized())).text) as {
      feeds: { url: string }[];
    };

    // Assess
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text).error.code).toBe('body_too_large');
    expect(listed.feeds.map((f) => f.url)).not.toContain(url);
  });
});

describe('feedrelay serve: the token', () => {
  it('takes FEEDRELAY_API_TOKEN instead of the file, and does not print it', async () => {
    const { dir: other, cleanup: remove } = await scratch('feedrelay-serve-token-');
    const token = 'a-token-from-the-environment-0123456789';
    const server = await startServe(other, { FEEDRELAY_API_TOKEN: token });
    try {
      const accepted = await request(server.port, 'GET', '/feeds', { headers: { authorization: `Bearer ${token}` } });
      const fileToken = await readFile(path.join(other, 'api-token'), 'utf8').catch(() => undefined);

      expect(accepted.status).toBe(200);
      expect(server.stderr()).toContain('API token from FEEDRELAY_API_TOKEN');
      expect(server.stderr()).not.toContain(token);
      expect(fileToken).toBeUndefined();
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await remove();
    }
  }, 60_000);

  // Restarts the suite's server: the last test of the file.
  it('keeps the generated token across restarts', async () => {
    const first = served;
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    served = await startServe(dir);

    expect(first.stderr()).toContain('API token (new) in');
    expect(served.stderr()).not.toContain('API token (new)');
    expect(served.token).toBe(first.token);
  }, 60_000);
});
