import { MAX_BODY_BYTES } from '../../src/entrypoints/api/api-http.js';

/** One answer of the management API as a client sees it. */
export interface ApiAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

export interface ApiCall {
  /** Sent as is; `json` is serialized with `application/json`. */
  readonly body?: string | Buffer;
  readonly json?: unknown;
  /** The content type of `body` (absent: `application/json` when there is a body, none without). */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Sends one request to the API under test, through whatever transport carries it (HTTP, a Lambda event). */
export type ApiClient = (method: string, path: string, call?: ApiCall) => Promise<ApiAnswer>;

export interface ManagementApiSubject {
  readonly client: ApiClient;
  /** A webhook URL the API must refuse at creation: its host is internal and not allowed. */
  readonly blockedWebhook: string;
}

const json = <T = Record<string, any>>(answer: ApiAnswer): T => JSON.parse(answer.text) as T; // eslint-disable-line @typescript-eslint/no-explicit-any

/** An error answer as the contract has it: `{"error": {"code", "message"}}`, JSON, no stack trace. */
export function expectError(answer: ApiAnswer, status: number, code?: string, mentions?: string | RegExp): void {
  if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${answer.text}`);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  const { error } = json<{ error: { code: unknown; message: unknown } }>(answer);
  expect(typeof error.code).toBe('string');
  expect(typeof error.message).toBe('string');
  if (code !== undefined) expect(error.code).toBe(code);
  if (mentions !== undefined) expect(error.message).toMatch(mentions);
  expect(answer.text).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
}

let counter = 0;
/** A feed URL no other test uses. */
const freshFeedUrl = () => `https://feeds.example.com/api-${process.pid}-${++counter}.xml`;
const freshWebhook = () => `https://hooks.example.net/api-${process.pid}-${++counter}`;

/**
 * The management API's contract (docs/reference.md, "Management API"): every route's answers and every kind of
 * bad input. `subject` gives the API under test once the suite's `beforeAll` hooks have run.
 */
export function describeManagementApiContract(name: string, subject: () => ManagementApiSubject): void {
  describe(`${name}: the management API`, () => {
    const call: ApiClient = (method, path, options) => subject().client(method, path, options);

    async function addFeed(url = freshFeedUrl()): Promise<{ id: string; url: string }> {
      const answer = await call('POST', '/feeds', { json: { url } });
      expect(answer.status).toBe(201);
      return json<{ feed: { id: string; url: string } }>(answer).feed;
    }

    async function subscribe(feed: string, webhook = freshWebhook(), secret?: string) {
      return call('POST', '/subscriptions', { json: { feed, webhook, ...(secret ? { secret } : {}) } });
    }

    describe('feeds', () => {
      it('adds a feed (201), and answers 200 with the same feed when it is there already', async () => {
        const url = freshFeedUrl();

        const first = await call('POST', '/feeds', { json: { url } });
        const again = await call('POST', '/feeds', { json: { url } });

        expect(first.status).toBe(201);
        expect(again.status).toBe(200);
        expect(json(first).feed).toMatchObject({ url, status: 'active' });
        expect(json(again).feed.id).toBe(json(first).feed.id);
      });

      it('shows one feed by id, and removes it (204), after which it is 404', async () => {
        const feed = await addFeed();

        const shown = await call('GET', `/feeds/${feed.id}`);
        const removed = await call('DELETE', `/feeds/${feed.id}`);
        const gone = await call('GET', `/feeds/${feed.id}`);
        const removedAgain = await call('DELETE', `/feeds/${feed.id}`);

        expect(shown.status).toBe(200);
        expect(json(shown).feed).toMatchObject({ id: feed.id, url: feed.url });
        expect(removed.status).toBe(204);
        expect(removed.text).toBe('');
        expectError(gone, 404, 'not_found');
        expectError(removedAgain, 404, 'not_found');
      });

      it('lists the feeds page by page: every feed once, `next` absent on the last page', async () => {
        for (let i = 0; i < 5; i++) await addFeed();
        const all = json(await call('GET', '/feeds?limit=1000'));
        expect(all.next).toBeUndefined();

        const paged: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const answer = await call('GET', `/feeds?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          expect(answer.status).toBe(200);
          const page = json<{ feeds: { id: string }[]; next?: string }>(answer);
          expect(page.feeds.length).toBeLessThanOrEqual(2);
          paged.push(...page.feeds.map((f) => f.id));
          cursor = page.next;
          pages++;
        } while (cursor !== undefined && pages < 100);

        expect(paged.length).toBeGreaterThanOrEqual(5);
        expect(new Set(paged).size).toBe(paged.length);
        expect(paged.sort()).toEqual((all.feeds as { id: string }[]).map((f) => f.id).sort());
      });
    });

    describe('subscriptions', () => {
      it('creates a subscription (201) with a generated secret shown once, and lists it without the secret', async () => {
        const feedUrl = freshFeedUrl();
        const webhook = freshWebhook();

        const created = await subscribe(feedUrl, webhook);
        const { subscription } = json(created);
        const listed = await call('GET', `/feeds/${subscription.feedId}/subscriptions`);

        expect(created.status).toBe(201);
        expect(subscription).toMatchObject({ webhook, feed: feedUrl, status: 'active' });
        expect(subscription.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
        expect(typeof subscription.id).toBe('string');
        expect(typeof subscription.createdAt).toBe('string');
        expect(listed.status).toBe(200);
        expect(json(listed).subscriptions).toEqual([{ ...subscription, secret: undefined }].map(withoutSecret));
        expect(listed.text).not.toContain('whsec_');
        expect(json(listed).next).toBeUndefined();
      });

      it('keeps the secret it is given; the same webhook again gets 200 and the subscription, without its secret', async () => {
        const feedUrl = freshFeedUrl();
        const webhook = freshWebhook();
        const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

        const created = await subscribe(feedUrl, webhook, secret);
        const again = await subscribe(feedUrl, webhook);

        expect(created.status).toBe(201);
        expect(json(created).subscription.secret).toBe(secret);
        expect(again.status).toBe(200);
        expect(json(again).subscription.id).toBe(json(created).subscription.id);
        expect(json(again).subscription).not.toHaveProperty('secret');
      });

      it('subscribes an SQS queue (201, no secret), and names what is wrong with a sink', async () => {
        const feed = freshFeedUrl();
        const sqs = 'https://sqs.eu-west-1.amazonaws.com/123456789012/feedrelay-subscriber';

        const created = await call('POST', '/subscriptions', { json: { feed, sqs } });
        const again = await call('POST', '/subscriptions', { json: { feed, sqs } });

        expect(created.status).toBe(201);
        expect(json(created).subscription).toMatchObject({ feed, sqs, status: 'active' });
        expect(json(created).subscription).not.toHaveProperty('secret');
        expect(json(created).subscription).not.toHaveProperty('webhook');
        expect(again.status).toBe(200);
        const webhook = freshWebhook();
        expectError(await call('POST', '/subscriptions', { json: { feed, webhook, sqs } }), 400, undefined, /webhook/);
        expectError(await call('POST', '/subscriptions', { json: { feed } }), 400, undefined, /sqs/);
        expectError(
          await call('POST', '/subscriptions', {
            json: { feed, sqs, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
          }),
          400,
          undefined,
          /secret/,
        );
      });

      it('rotates a secret (200): the new one shown once, the previous one signing until the grace ends', async () => {
        const created = json(await subscribe(freshFeedUrl())).subscription;
        const path = `/feeds/${created.feedId}/subscriptions/${created.id}/secret`;
        const secret = 'whsec_NewSecretNewSecretNewSecret0000';

        const rotated = await call('POST', path, { json: { secret, graceSeconds: 3600 } });
        const generated = await call('POST', path, { json: {} });

        expect(rotated.status).toBe(200);
        expect(json(rotated).subscription).toMatchObject({ id: created.id, secret });
        expect(typeof json(rotated).previousSecretValidUntil).toBe('string');
        expect(generated.status).toBe(200);
        expect(json(generated).subscription.secret).toMatch(/^whsec_/);
        expect(json(generated).subscription.secret).not.toBe(secret);
      });

      it('refuses a rotation of an unknown subscription (404) or with a bad grace or secret (400)', async () => {
        const created = json(await subscribe(freshFeedUrl())).subscription;
        const path = `/feeds/${created.feedId}/subscriptions/${created.id}/secret`;

        expectError(
          await call('POST', `/feeds/${created.feedId}/subscriptions/nosuchsubscription/secret`, { json: {} }),
          404,
        );
        expectError(await call('POST', path, { json: { graceSeconds: -1 } }), 400, undefined, /grace/);
        expectError(await call('POST', path, { json: { graceSeconds: '60' } }), 400, 'invalid_request', /graceSeconds/);
        expectError(await call('POST', path, { json: { secret: 'not-a-secret' } }), 400, undefined, /secret/);
      });

      it('lists a feed’s subscriptions page by page', async () => {
        const feedUrl = freshFeedUrl();
        const made: string[] = [];
        for (let i = 0; i < 5; i++) made.push(json(await subscribe(feedUrl)).subscription.id);
        const feedId = json(await call('POST', '/feeds', { json: { url: feedUrl } })).feed.id;

        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const query = `limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
          const page = json(await call('GET', `/feeds/${feedId}/subscriptions?${query}`));
          expect(page.subscriptions.length).toBeLessThanOrEqual(2);
          seen.push(...page.subscriptions.map((s: { id: string }) => s.id));
          cursor = page.next;
          pages++;
        } while (cursor !== undefined && pages < 100);

        expect(seen.sort()).toEqual(made.sort());
      });

      it('ends a subscription (204): it stays listed as ended; an unknown one is 404', async () => {
        const { subscription } = json(await subscribe(freshFeedUrl()));

        const ended = await call('DELETE', `/feeds/${subscription.feedId}/subscriptions/${subscription.id}`);
        const listed = json(await call('GET', `/feeds/${subscription.feedId}/subscriptions`));
        const unknown = await call('DELETE', `/feeds/${subscription.feedId}/subscriptions/0123456789abcdef01234567`);

        expect(ended.status).toBe(204);
        expect(listed.subscriptions).toEqual([expect.objectContaining({ id: subscription.id, status: 'ended' })]);
        expectError(unknown, 404, 'not_found');
      });

      it('refuses a webhook on an internal address at creation, naming the webhook (400), and stores nothing', async () => {
        const feedUrl = freshFeedUrl();

        const refused = await subscribe(feedUrl, subject().blockedWebhook);
        const feeds = json(await call('GET', '/feeds?limit=1000')).feeds as { url: string }[];

        expectError(refused, 400, 'blocked_address', /"webhook"/);
        expect(feeds.map((f) => f.url)).not.toContain(feedUrl);
      });
    });

    describe('feeds in bulk', () => {
      it('adds many feeds in one call (200): those added in the order asked, the others counted as there', async () => {
        const known = await addFeed();
        const [a, b] = [freshFeedUrl(), freshFeedUrl()];

        const imported = await call('POST', '/feeds/import', {
          json: { feeds: [{ url: b }, { url: known.url }, { url: a, title: 'A' }, { url: b }] },
        });
        const again = await call('POST', '/feeds/import', { json: { feeds: [{ url: a }, { url: b }] } });
        const shown = json(await call('GET', `/feeds/${json(imported).added[0].id}`));

        expect(imported.status).toBe(200);
        expect(json(imported).added.map((f: { url: string }) => f.url)).toEqual([b, a]);
        expect(json(imported).existing).toBe(1);
        expect(shown.feed.url).toBe(b);
        expect(json(again)).toEqual({ added: [], existing: 2 });
      });

      it('refuses the whole call (400) naming the first bad feed, and adds nothing', async () => {
        const good = freshFeedUrl();
        const importing = (feeds: unknown) => call('POST', '/feeds/import', { json: { feeds } });

        expectError(await importing([{ url: good }, { url: 'ftp://x' }]), 400, undefined, /feeds\[1\]: "url"/);
        expectError(await importing([{ url: good }, { title: 'no url' }]), 400, 'invalid_request', /feeds\[1\]/);
        expectError(await importing([{ url: good }, 7]), 400, 'invalid_request', /feeds\[1\]: must be an object/);
        expectError(await importing([]), 400, 'invalid_request', /1 to 1000/);
        const feeds = json(await call('GET', '/feeds?limit=1000')).feeds as { url: string }[];
        expect(feeds.map((f) => f.url)).not.toContain(good);
      });
    });

    describe('subscriptions in bulk', () => {
      const given = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

      it('imports many in one call (200): each in order, the secrets of the created shown once, counted', async () => {
        const [feedA, feedB] = [freshFeedUrl(), freshFeedUrl()];
        const items = [
          { feed: feedA, webhook: freshWebhook(), secret: given },
          { feed: feedA, webhook: freshWebhook() },
          { feed: feedB, webhook: freshWebhook() },
          { feed: feedB, sqs: 'https://sqs.eu-west-1.amazonaws.com/123456789012/feedrelay-bulk' },
        ];

        const imported = await call('POST', '/subscriptions/import', { json: { subscriptions: items } });
        const again = await call('POST', '/subscriptions/import', { json: { subscriptions: items } });
        const listed = json(await call('GET', `/feeds/${json(imported).subscriptions[0].feedId}/subscriptions`));

        expect(imported.status).toBe(200);
        const { subscriptions, created } = json(imported);
        expect(created).toBe(4);
        expect(subscriptions.map((s: Record<string, unknown>) => s.feed)).toEqual([feedA, feedA, feedB, feedB]);
        expect(subscriptions[0]).toMatchObject({ webhook: items[0]!.webhook, status: 'active', secret: given });
        expect(subscriptions[1].secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
        expect(subscriptions[3]).toMatchObject({ sqs: items[3]!.sqs });
        expect(subscriptions[3]).not.toHaveProperty('secret');
        expect(again.status).toBe(200);
        expect(json(again).created).toBe(0);
        expect(json(again).subscriptions).toEqual(subscriptions.map(withoutSecret));
        expect(listed.subscriptions.map((s: { id: string }) => s.id).sort()).toEqual(
          [subscriptions[0].id, subscriptions[1].id].sort(),
        );
      });

      it('refuses the whole call (400) naming the first bad item, or a refused webhook, and stores nothing', async () => {
        const feed = freshFeedUrl();
        const good = { feed, webhook: freshWebhook() };
        const importing = (subscriptions: unknown) =>
          call('POST', '/subscriptions/import', { json: { subscriptions } });

        expectError(
          await importing([good, { feed, webhook: 'not a url' }]),
          400,
          undefined,
          /subscriptions\[1\]: "webhook"/,
        );
        expectError(await importing([good, { feed }]), 400, undefined, /subscriptions\[1\]/);
        expectError(await importing([good, 'x']), 400, undefined, /subscriptions\[1\]: must be an object/);
        expectError(
          await importing([good, { ...good, secret: 'nope' }]),
          400,
          undefined,
          /subscriptions\[1\]: "secret"/,
        );
        expectError(
          await importing([good, { feed, webhook: subject().blockedWebhook }]),
          400,
          'blocked_address',
          /subscriptions\[1\]: "webhook"/,
        );
        expectError(await importing([]), 400, 'invalid_request', /1 to 1000/);
        expectError(await importing(Array.from({ length: 1001 }, () => good)), 400, 'invalid_request', /1 to 1000/);
        expectError(await importing('x'), 400, 'invalid_request', /"subscriptions"/);
        expectError(
          await call('POST', '/subscriptions/import', { json: { subscriptions: [good], extra: 1 } }),
          400,
          'invalid_request',
          /unknown field "extra"/,
        );
        const feeds = json(await call('GET', '/feeds?limit=1000')).feeds as { url: string }[];
        expect(feeds.map((f) => f.url)).not.toContain(feed);
      });
    });

    describe('runs', () => {
      it('starts a run (202 {runId}), shows its summary and lists it; an unknown run is 404', async () => {
        const started = await call('POST', '/runs', { json: { force: true } });
        const { runId } = json(started);

        const shown = await call('GET', `/runs/${runId}`);
        const listed = await call('GET', '/runs');
        const unknown = await call('GET', '/runs/0000000000000000');

        expect(started.status).toBe(202);
        expect(typeof runId).toBe('string');
        expect(shown.status).toBe(200);
        expect(json(shown)).toMatchObject({ runId, notifications: expect.any(Object) });
        expect(listed.status).toBe(200);
        expect(json(listed).runs.map((r: { runId: string }) => r.runId)).toContain(runId);
        expectError(unknown, 404, 'not_found');
      });
    });

    describe('bad input', () => {
      const FEED = '0123456789abcdef01234567';
      const SUB = 'fedcba9876543210fedcba98';

      it.each([
        ['POST', '/feeds'],
        ['POST', '/subscriptions'],
        ['POST', '/runs'],
      ])('%s %s: a body that is not JSON is 400', async (method, path) => {
        expectError(await call(method, path, { body: '{"url": ' }), 400, 'invalid_json');
        expectError(await call(method, path, { body: '[1, 2]' }), 400, 'invalid_request', /object/);
        expectError(await call(method, path, { body: Buffer.from([0x7b, 0xff, 0x7d]) }), 400, 'invalid_json');
      });

      it.each([
        ['POST', '/feeds'],
        ['POST', '/subscriptions'],
        ['POST', '/runs'],
      ])('%s %s: a body that is not application/json is 415', async (method, path) => {
        expectError(await call(method, path, { body: '{}', contentType: 'text/plain' }), 415);
        expectError(await call(method, path, { body: 'url=x', contentType: 'application/x-www-form-urlencoded' }), 415);
      });

      it.each([
        ['POST', '/feeds'],
        ['POST', '/subscriptions'],
        ['POST', '/runs'],
      ])('%s %s: a body over 1 MiB is 413', async (method, path) => {
        const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);

        expectError(await call(method, path, { body: big }), 413, 'body_too_large');
      });

      it.each([
        [{}, 'url'],
        [{ url: 5 }, 'url'],
        [{ url: ['https://a.example/'] }, 'url'],
        [{ url: 'not a url' }, 'url'],
        [{ url: 'ftp://example.com/feed' }, 'url'],
        [{ url: 'https://example.com/feed', title: 7 }, 'title'],
        [{ uri: 'https://example.com/feed' }, 'uri'],
      ])('POST /feeds %j is 400 naming %s', async (body, field) => {
        expectError(await call('POST', '/feeds', { json: body }), 400, undefined, new RegExp(`"${field}"`));
      });

      it.each([
        [{ webhook: 'https://hooks.example.net/x' }, 'feed'],
        [{ feed: 'https://feeds.example.com/x.xml' }, 'webhook'],
        [{ feed: 1, webhook: 'https://hooks.example.net/x' }, 'feed'],
        [{ feed: 'https://feeds.example.com/x.xml', webhook: { url: 'x' } }, 'webhook'],
        [{ feed: 'https://feeds.example.com/x.xml', webhook: 'https://hooks.example.net/x', secret: 5 }, 'secret'],
        [{ feed: 'https://feeds.example.com/x.xml', webhook: 'https://hooks.example.net/x', secret: 'x' }, 'secret'],
        [{ feed: 'not a url', webhook: 'https://hooks.example.net/x' }, 'feed'],
        [{ feed: 'https://feeds.example.com/x.xml', webhook: 'mailto:a@b.c' }, 'webhook'],
        [{ feed: 'https://feeds.example.com/x.xml', webhook: 'https://hooks.example.net/x', sink: 'sqs' }, 'sink'],
      ])('POST /subscriptions %j is 400 naming %s', async (body, field) => {
        expectError(await call('POST', '/subscriptions', { json: body }), 400, undefined, new RegExp(`"${field}"`));
      });

      it.each([
        [{ force: 'yes' }, 'force'],
        [{ force: 1 }, 'force'],
        [{ forced: true }, 'forced'],
      ])('POST /runs %j is 400 naming %s', async (body, field) => {
        expectError(await call('POST', '/runs', { json: body }), 400, undefined, new RegExp(`"${field}"`));
      });

      it.each([
        ['/feeds?limit=0', 'limit'],
        ['/feeds?limit=abc', 'limit'],
        ['/feeds?limit=1001', 'limit'],
        ['/feeds?limit=1&limit=2', 'limit'],
        ['/feeds?cursor=nonsense', 'cursor'],
        ['/feeds?cursor=c1.eyJ2IjoxLCJzIjoiZmVlZHMiLCJwIjp7fX0', 'cursor'],
        ['/feeds?page=2', 'page'],
        [`/feeds?cursor=c1.${'A'.repeat(3000)}`, 'cursor'],
        [`/feeds/${FEED}/subscriptions?limit=-1`, 'limit'],
        [`/feeds/${FEED}/subscriptions?cursor=nonsense`, 'cursor'],
        ['/runs?limit=0', 'limit'],
        [`/runs/${FEED}?verbose=1`, 'verbose'],
      ])('GET %s is 400 naming %s', async (path, field) => {
        expectError(await call('GET', path), 400, undefined, new RegExp(field));
      });

      it('refuses the cursor of one listing in another (400)', async () => {
        for (let i = 0; i < 3; i++) await addFeed();
        const { next } = json(await call('GET', '/feeds?limit=1'));
        const { subscription } = json(await subscribe(freshFeedUrl()));

        const answer = await call(
          'GET',
          `/feeds/${subscription.feedId}/subscriptions?cursor=${encodeURIComponent(next)}`,
        );

        expectError(answer, 400, 'invalid_cursor', /"cursor"/);
      });

      it.each([
        ['GET', `/feeds/${FEED}`],
        ['DELETE', `/feeds/${FEED}`],
        ['GET', `/feeds/${FEED}/subscriptions`],
        ['DELETE', `/feeds/${FEED}/subscriptions/${SUB}`],
        ['GET', `/runs/${FEED}`],
        ['GET', '/feeds/not.an.id'],
        ['GET', '/feeds/%ZZ'],
        ['GET', `/feeds/${'a'.repeat(300)}`],
        ['GET', '/runs/..%2F..%2Fetc'],
        ['GET', '/nowhere'],
        ['GET', '/'],
        ['GET', '/feeds/'],
      ])('%s %s is 404', async (method, path) => {
        expectError(await call(method, path), 404, 'not_found');
      });

      it.each([
        ['PUT', '/feeds', 'GET, POST'],
        ['DELETE', '/feeds', 'GET, POST'],
        ['PATCH', `/feeds/${FEED}`, 'GET, DELETE'],
        ['POST', `/feeds/${FEED}`, 'GET, DELETE'],
        ['GET', '/subscriptions', 'POST'],
        ['POST', `/feeds/${FEED}/subscriptions`, 'GET'],
        ['GET', `/feeds/${FEED}/subscriptions/${SUB}`, 'DELETE'],
        ['DELETE', '/runs', 'POST, GET'],
        ['POST', `/runs/${FEED}`, 'GET'],
      ])('%s %s is 405 with Allow: %s', async (method, path, allow) => {
        const answer = await call(method, path, method === 'GET' || method === 'DELETE' ? {} : { json: {} });

        expectError(answer, 405, 'method_not_allowed');
        expect(answer.headers.allow).toBe(allow);
      });
    });
  });
}

function withoutSecret<T extends { secret?: unknown }>(value: T): Omit<T, 'secret'> {
  const { secret: _secret, ...rest } = value;
  return rest;
}
