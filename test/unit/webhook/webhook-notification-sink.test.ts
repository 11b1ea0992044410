import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign, verify } from '../../../src/adapters/webhook/standard-webhooks.js';
import { WebhookNotificationSink } from '../../../src/adapters/webhook/webhook-notification-sink.js';
import { FixedClock } from '../../support/memory/fixed-clock.js';
import { LocalSecretCipher } from '../../../src/adapters/crypto/local-secret-cipher.js';
import type { Notification } from '../../../src/application/ports/notification-sink.port.js';
import { aSubscription } from '../../support/mothers.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A subscriber endpoint whose answers a test scripts. */
async function subscriber(answer: (res: http.ServerResponse) => void) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(res);
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const clock = new FixedClock(new Date());
const cipher = LocalSecretCipher.ephemeral();
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function aNotification(url: string, attempt = 1): Notification {
  const subscription = {
    ...aSubscription('https://feeds.example.com/a.xml', 1),
    sink: { kind: 'webhook' as const, url },
    secret: SECRET,
  };
  return {
    id: 'msg_0123456789abcdef',
    subscription,
    feed: { id: subscription.feedId, url: 'https://feeds.example.com/a.xml', title: 'A' },
    articles: [
      {
        id: 'a1',
        guid: 'g1',
        title: 'First',
        feedId: subscription.feedId,
        firstSeenAt: '2026-01-01T00:00:00.000Z',
        firstSeenRunId: 'run_1',
      },
    ],
    attempt,
  };
}

describe('WebhookNotificationSink', () => {
  const sink = (timeoutMs = 2000) =>
    new WebhookNotificationSink({ timeoutMs, allowedNetworks: ['127.0.0.0/8'] }, clock, cipher);

  it('posts a signed feed.articles body that verifies with the subscription secret', async () => {
    // Prepare
    const endpoint = await subscriber((res) => res.writeHead(204).end());
    try {
      // Act
      const result = await sink().deliver(aNotification(endpoint.url));

      // Assess
      expect(result).toEqual({ kind: 'delivered' });
      const [delivery] = endpoint.received;
      expect(delivery!.headers['content-type']).toBe('application/json');
      expect(delivery!.headers['webhook-id']).toBe('msg_0123456789abcdef');
      expect(verify(SECRET, delivery!.headers, delivery!.body).ok).toBe(true);
      expect(verify('whsec_b3RoZXJzZWNyZXQ=', delivery!.headers, delivery!.body).ok).toBe(false);
      const body = JSON.parse(delivery!.body);
      expect(body).toEqual({
        type: 'feed.articles',
        feed: { id: expect.any(String), url: 'https://feeds.example.com/a.xml', title: 'A' },
        articles: [{ id: 'a1', guid: 'g1', title: 'First' }],
      });
    } finally {
      await endpoint.close();
    }
  });

  it('sends the POSTs to one subscriber host over one kept-alive connection', async () => {
    // Prepare
    const endpoint = await subscriber((res) => res.writeHead(204).end());
    try {
      const webhooks = sink();
      const notification = aNotification(endpoint.url);

      // Act
      for (let i = 0; i < 5; i++) await webhooks.deliver(notification);

      // Assess
      expect(endpoint.received).toHaveLength(5);
      expect(new Set(endpoint.received.map((r) => r.headers.connection))).toEqual(new Set(['keep-alive']));
      expect(endpoint.connections()).toBe(1);
    } finally {
      await endpoint.close();
    }
  });

  it('counts a 2xx as delivered whatever its body, without reading a large one', async () => {
    // Prepare
    const endpoint = await subscriber((res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('x'.repeat(5 * 1024 * 1024));
    });
    try {
      // Act
      const result = await sink().deliver(aNotification(endpoint.url));

      // Assess
      expect(result).toEqual({ kind: 'delivered' });
    } finally {
      await endpoint.close();
    }
  });

  describe('a 2xx whose body does not end', () => {
    /** Answers 200 and streams a body; resolves, per answer, how many bytes went out before the client hung up. */
    async function streaming(write: (res: http.ServerResponse) => void) {
      const hungUp: Promise<{ written: number; finished: boolean }>[] = [];
      const endpoint = await subscriber((res) => {
        let written = 0;
        const originalWrite = res.write.bind(res) as (chunk: Buffer) => boolean;
        res.write = ((chunk: Buffer) => {
          written += chunk.length;
          return originalWrite(chunk);
        }) as typeof res.write;
        hungUp.push(
          new Promise((resolve) => res.on('close', () => resolve({ written, finished: res.writableFinished }))),
        );
        res.writeHead(200, { 'content-type': 'text/plain' });
        write(res);
      });
      return { endpoint, hungUp };
    }

    it('is delivered at its headers when the body trickles for 30 s; the connection is dropped soon after', async () => {
      // Prepare
      const { endpoint, hungUp } = await streaming((res) => {
        const chunk = Buffer.alloc(100, 0x61);
        const timer = setInterval(() => res.write(chunk), 50);
        const stop = setTimeout(() => res.end(), 30_000);
        res.on('close', () => {
          clearInterval(timer);
          clearTimeout(stop);
        });
      });
      try {
        // Act
        const result = await sink(20_000).deliver(aNotification(endpoint.url));

        // Assess: one POST, delivered, and the client hung up long before the 30 s body was over.
        expect(result).toEqual({ kind: 'delivered' });
        const [answer] = await Promise.all(hungUp);
        expect(answer!.finished).toBe(false);
        expect(endpoint.received).toHaveLength(1);
      } finally {
        await endpoint.close();
      }
    }, 10_000);

    it('is delivered when the body is 50 MB, of which only a small prefix is read', async () => {
      // Prepare
      const total = 50 * 1024 * 1024;
      const { endpoint, hungUp } = await streaming((res) => {
        const chunk = Buffer.alloc(64 * 1024, 0x62);
        let sent = 0;
        const pump = () => {
          while (sent < total && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        pump();
      });
      try {
        // Act
        const result = await sink().deliver(aNotification(endpoint.url));

        // Assess
        expect(result).toEqual({ kind: 'delivered' });
        const [answer] = await Promise.all(hungUp);
        expect(answer!.finished).toBe(false);
        expect(answer!.written).toBeLessThan(total);
        expect(endpoint.received).toHaveLength(1);
      } finally {
        await endpoint.close();
      }
    }, 10_000);
  });

  it('keeps the webhook-id across attempts', async () => {
    const endpoint = await subscriber((res) => res.writeHead(200).end());
    try {
      await sink().deliver(aNotification(endpoint.url, 1));
      await sink().deliver(aNotification(endpoint.url, 2));
      expect(endpoint.received.map((r) => r.headers['webhook-id'])).toEqual([
        'msg_0123456789abcdef',
        'msg_0123456789abcdef',
      ]);
    } finally {
      await endpoint.close();
    }
  });

  it.each([
    [410, {}, { kind: 'ended' }],
    [301, { location: 'http://127.0.0.1:1/elsewhere' }, { kind: 'rejected' }],
    [400, {}, { kind: 'rejected' }],
    [500, {}, { kind: 'retry' }],
    [503, { 'retry-after': '120' }, { kind: 'retry', retryAfterSeconds: 120 }],
    [429, { 'retry-after': '7' }, { kind: 'retry', retryAfterSeconds: 7 }],
  ])('maps an answer of %d to its outcome', async (status, headers, expected) => {
    const endpoint = await subscriber((res) => res.writeHead(status, headers).end());
    try {
      const result = await sink().deliver(aNotification(endpoint.url));
      expect(result).toMatchObject(expected);
      expect(endpoint.received).toHaveLength(1);
    } finally {
      await endpoint.close();
    }
  });

  it('retries a subscriber that does not answer in time', async () => {
    const endpoint = await subscriber(() => undefined);
    try {
      const result = await sink(300).deliver(aNotification(endpoint.url));
      expect(result).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^timeout/) });
    } finally {
      await endpoint.close();
    }
  });

  it('refuses a webhook on a private address that is not allowed', async () => {
    const guarded = new WebhookNotificationSink({ timeoutMs: 1000, allowedNetworks: [] }, clock, cipher);
    const result = await guarded.deliver(aNotification('http://169.254.169.254/latest/meta-data'));
    expect(result).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/^blocked_address/) });
  });
});

describe('WebhookNotificationSink with sealed secrets', () => {
  const sink = () => new WebhookNotificationSink({ timeoutMs: 2000, allowedNetworks: ['127.0.0.0/8'] }, clock, cipher);
  const NEW_SECRET = 'whsec_bmV3LXNlY3JldC1hZnRlci1yb3RhdGlvbg==';
  const headersOf = (r: Received) => r.headers as Record<string, string>;

  it('opens the sealed secret only to sign: the delivery verifies with the plain secret', async () => {
    // Prepare
    const endpoint = await subscriber((res) => res.writeHead(204).end());
    const notification = aNotification(endpoint.url);
    const sealed = await cipher.seal(SECRET, notification.subscription.id);
    try {
      // Act
      const result = await sink().deliver({
        ...notification,
        subscription: { ...notification.subscription, secret: sealed },
      });

      // Assess
      expect(result).toEqual({ kind: 'delivered' });
      const [delivery] = endpoint.received;
      expect(verify(SECRET, delivery!.headers, delivery!.body)).toEqual({ ok: true });
      expect(headersOf(delivery!)['webhook-signature']).not.toContain(sealed);
    } finally {
      await endpoint.close();
    }
  });

  it('signs with the new and the previous secret during a rotation’s grace, and with the new one only after it', async () => {
    // Prepare
    const endpoint = await subscriber((res) => res.writeHead(204).end());
    const notification = aNotification(endpoint.url);
    const id = notification.subscription.id;
    const rotating = {
      ...notification.subscription,
      secret: await cipher.seal(NEW_SECRET, id),
      previousSecret: await cipher.seal(SECRET, id),
      previousSecretUntil: new Date(clock.now().getTime() + 60_000).toISOString(),
    };
    const expired = { ...rotating, previousSecretUntil: new Date(clock.now().getTime() - 1).toISOString() };
    try {
      // Act
      await sink().deliver({ ...notification, subscription: rotating });
      await sink().deliver({ ...notification, subscription: expired });

      // Assess
      const [during, after] = endpoint.received;
      const signatures = headersOf(during!)['webhook-signature']!.split(' ');
      expect(signatures).toHaveLength(2);
      expect(signatures[0]).toBe(
        sign(NEW_SECRET, notification.id, Number(headersOf(during!)['webhook-timestamp']), during!.body),
      );
      expect(verify(SECRET, during!.headers, during!.body)).toEqual({ ok: true });
      expect(verify(NEW_SECRET, during!.headers, during!.body)).toEqual({ ok: true });
      expect(headersOf(after!)['webhook-signature']!.split(' ')).toHaveLength(1);
      expect(verify(SECRET, after!.headers, after!.body)).toEqual({ ok: false, reason: 'no signature matches' });
      expect(verify(NEW_SECRET, after!.headers, after!.body)).toEqual({ ok: true });
    } finally {
      await endpoint.close();
    }
  });

  it('rejects, without sending, a delivery whose secret was sealed for another subscription', async () => {
    // Prepare
    const endpoint = await subscriber((res) => res.writeHead(204).end());
    const notification = aNotification(endpoint.url);
    const foreign = await cipher.seal(SECRET, 'another-subscription');
    try {
      // Act
      const result = await sink().deliver({
        ...notification,
        subscription: { ...notification.subscription, secret: foreign },
      });

      // Assess
      expect(result).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('does not open') });
      expect(endpoint.received).toEqual([]);
    } finally {
      await endpoint.close();
    }
  });
});

describe('Standard Webhooks verify', () => {
  it('refuses a stale timestamp', () => {
    const headers = { 'webhook-id': 'x', 'webhook-timestamp': '1000', 'webhook-signature': 'v1,AAAA' };
    expect(verify(SECRET, headers, '{}', { nowSeconds: 5000 })).toEqual({
      ok: false,
      reason: 'timestamp too old or new',
    });
  });
});

describe('Standard Webhooks sign', () => {
  it("matches the specification's published example", () => {
    expect(sign(SECRET, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });
});
