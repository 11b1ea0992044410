import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ManagementApiClient } from '../../../src/adapters/management-api/management-api-client.js';
import { BearerTokenSigner } from '../../../src/adapters/management-api/request-signers.js';
import { feedIdFor } from '../../../src/domain/feed.js';
import { RemoteManagementClient } from '../../../src/entrypoints/cli/management/remote-management-client.js';
import { FakeManagementApi, on, type FakeRoute } from '../../support/fake-management-api.js';

interface StoredSubscription {
  id: string;
  feedId: string;
  webhook: string;
  createdAt: string;
  status: string;
}

interface SubscriptionItem {
  readonly feed: string;
  readonly webhook: string;
  readonly secret?: string;
}

/** One subscription as the API stores it: created (with its secret, shown once) or found. */
function subscribeOne(
  state: { feeds: Map<string, { id: string; url: string }>; subs: StoredSubscription[] },
  { feed, webhook, secret }: SubscriptionItem,
): { created: boolean; subscription: StoredSubscription & { secret?: string } } {
  const feedId = feedIdFor(feed);
  if (!state.feeds.has(feedId)) state.feeds.set(feedId, { id: feedId, url: feed });
  const id = `${feedId}:${webhook}`;
  const known = state.subs.find((s) => s.id === id);
  if (known) return { created: false, subscription: known };
  const subscription = { id, feedId, webhook, createdAt: '2026-12-01T00:00:00.000Z', status: 'active' };
  state.subs.push(subscription);
  return { created: true, subscription: { ...subscription, secret: secret ?? 'whsec_c2VydmVy' } };
}

const refusal = (webhook: string) => ({
  status: 400,
  body: { error: { code: 'blocked_address', message: `${webhook} is internal` } },
});

/** The management API's routes over a small in-memory state, with page size as asked (`limit`). */
function contractRoutes(state: {
  feeds: Map<string, { id: string; url: string }>;
  subs: StoredSubscription[];
}): FakeRoute[] {
  const page = <T>(items: T[], query: URLSearchParams) => {
    const limit = Number(query.get('limit') ?? 100);
    const from = Number(query.get('cursor') ?? 0);
    const next = from + limit < items.length ? String(from + limit) : undefined;
    return { items: items.slice(from, from + limit), ...(next ? { next } : {}) };
  };
  return [
    on('POST', '/feeds', (r) => {
      const { url } = JSON.parse(r.body) as { url: string };
      if (url.includes('refused'))
        return { status: 400, body: { error: { code: 'blocked_address', message: `${url} is internal` } } };
      const id = feedIdFor(url);
      const known = state.feeds.get(id);
      if (known) return { status: 200, body: { feed: known } };
      const feed = { id, url };
      state.feeds.set(id, feed);
      return { status: 201, body: { feed } };
    }),
    // As the API: the whole batch is refused when one feed is, and nothing of it is stored.
    on('POST', '/feeds/import', (r) => {
      const { feeds } = JSON.parse(r.body) as { feeds: { url: string }[] };
      const refused = feeds.find(({ url }) => url.includes('refused'));
      if (refused)
        return { status: 400, body: { error: { code: 'blocked_address', message: `${refused.url} is internal` } } };
      const added: { id: string; url: string }[] = [];
      for (const { url } of feeds) {
        const id = feedIdFor(url);
        if (state.feeds.has(id)) continue;
        state.feeds.set(id, { id, url });
        added.push({ id, url });
      }
      return { status: 200, body: { added, existing: feeds.length - added.length } };
    }),
    on('GET', '/feeds', (r) => {
      const { items, next } = page([...state.feeds.values()], r.query);
      return { status: 200, body: { feeds: items, ...(next ? { next } : {}) } };
    }),
    on('DELETE', /^\/feeds\/[^/]+$/, (r) => {
      const id = r.path.split('/')[2]!;
      return state.feeds.delete(id)
        ? { status: 204 }
        : { status: 404, body: { error: { code: 'not_found', message: `no feed ${id}` } } };
    }),
    on('POST', '/subscriptions', (r) => {
      const item = JSON.parse(r.body) as SubscriptionItem;
      if (item.webhook.includes('refused')) return refusal(item.webhook);
      const { created, subscription } = subscribeOne(state, item);
      return { status: created ? 201 : 200, body: { subscription } };
    }),
    // As the API: the whole batch is refused when one webhook is, and nothing of it is stored.
    on('POST', '/subscriptions/import', (r) => {
      const { subscriptions } = JSON.parse(r.body) as { subscriptions: SubscriptionItem[] };
      const refused = subscriptions.find((item) => item.webhook.includes('refused'));
      if (refused) return refusal(refused.webhook);
      const done = subscriptions.map((item) => subscribeOne(state, item));
      return {
        status: 200,
        body: { subscriptions: done.map((d) => d.subscription), created: done.filter((d) => d.created).length },
      };
    }),
    on('GET', /^\/feeds\/[^/]+\/subscriptions$/, (r) => {
      const feedId = r.path.split('/')[2]!;
      if (!state.feeds.has(feedId)) return { status: 404, body: { error: { code: 'not_found', message: 'no feed' } } };
      const { items, next } = page(
        state.subs.filter((s) => s.feedId === feedId),
        r.query,
      );
      return { status: 200, body: { subscriptions: items, ...(next ? { next } : {}) } };
    }),
    on('POST', '/runs', { status: 202, body: { runId: 'run-1' } }),
    on('GET', '/runs', { status: 200, body: { runs: [{ runId: 'run-2' }, { runId: 'run-1' }] } }),
    on('GET', /^\/runs\/[^/]+$/, (r) =>
      r.path === '/runs/run-1'
        ? { status: 200, body: { runId: 'run-1', complete: true } }
        : { status: 404, body: { error: { code: 'not_found', message: `no run ${r.path.slice(6)}` } } },
    ),
  ];
}

describe('RemoteManagementClient', () => {
  const api = new FakeManagementApi();
  let client: RemoteManagementClient;
  let state: { feeds: Map<string, { id: string; url: string }>; subs: StoredSubscription[] };

  beforeAll(async () => {
    const base = new URL(await api.start());
    client = new RemoteManagementClient(
      new ManagementApiClient(base, new BearerTokenSigner('t', 'token'), { timeoutMs: 5000 }),
    );
  });
  afterAll(() => api.stop());
  beforeEach(() => {
    state = { feeds: new Map(), subs: [] };
    api.answer(...contractRoutes(state));
  });

  it('adds feeds in one batch, counting those there already, the first of duplicates only', async () => {
    await client.addFeeds([{ url: 'https://a.example/feed' }]);

    const result = await client.addFeeds([
      { url: 'https://a.example/feed' },
      { url: 'https://b.example/feed', title: 'B' },
      { url: 'https://b.example/feed#again' },
    ]);

    expect(result.added.map((f) => f.url)).toEqual(['https://b.example/feed']);
    expect(result).toMatchObject({ existing: 1, failed: [] });
    expect(api.requests.filter((r) => r.method === 'POST').map((r) => JSON.parse(r.body))).toEqual([
      { feeds: [{ url: 'https://a.example/feed' }] },
      { feeds: [{ url: 'https://a.example/feed' }, { url: 'https://b.example/feed' }] },
    ]);
  });

  it('adds feeds one per call through an API without the batch route (404)', async () => {
    api.answer(
      on('POST', '/feeds/import', { status: 404, body: { error: { code: 'not_found', message: 'no route' } } }),
      ...contractRoutes(state),
    );

    const result = await client.addFeeds([{ url: 'https://a.example/feed' }, { url: 'https://b.example/feed' }]);

    expect(result.added.map((f) => f.url)).toEqual(['https://a.example/feed', 'https://b.example/feed']);
    expect(api.requests.map((r) => r.url)).toEqual(['/feeds/import', '/feeds', '/feeds']);
  });

  it('reports an item the API refuses and keeps the others, sending its refused batch again one per call', async () => {
    const result = await client.addFeeds([
      { url: 'https://a.example/feed' },
      { url: 'http://refused.example/feed' },
      { url: 'https://c.example/feed' },
    ]);

    expect(result.added.map((f) => f.url)).toEqual(['https://a.example/feed', 'https://c.example/feed']);
    expect(result.failed).toEqual([
      {
        item: 1,
        code: 'blocked_address',
        status: 400,
        message: 'POST /feeds: http://refused.example/feed is internal',
      },
    ]);
    expect(state.feeds.size).toBe(2);
  });

  it('stops a batch at a refusal every item would meet (401), without sending the rest', async () => {
    api.answer(on('POST', '/feeds', { status: 401, body: { error: { code: 'unauthorized', message: 'bad token' } } }));
    const urls = Array.from({ length: 20 }, (_, i) => ({ url: `https://f${i}.example/feed` }));

    await expect(client.addFeeds(urls)).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
    expect(api.requests.length).toBeLessThanOrEqual(4);
  });

  it('removes feeds by the id their URL gives: 204 removed, 404 missing', async () => {
    await client.addFeeds([{ url: 'https://a.example/feed' }]);

    const result = await client.removeFeeds(['https://a.example/feed', 'https://never.example/feed']);

    expect(result).toEqual({
      removed: ['https://a.example/feed'],
      missing: ['https://never.example/feed'],
      failed: [],
    });
    expect(api.requests.filter((r) => r.method === 'DELETE').map((r) => r.url)).toEqual([
      `/feeds/${feedIdFor('https://a.example/feed')}`,
      `/feeds/${feedIdFor('https://never.example/feed')}`,
    ]);
  });

  it('lists feeds across pages', async () => {
    await client.addFeeds(Array.from({ length: 250 }, (_, i) => ({ url: `https://f${i}.example/feed` })));

    const urls: string[] = [];
    for await (const feed of client.listFeeds()) urls.push(feed.url);

    expect(urls).toHaveLength(250);
    expect(new Set(urls).size).toBe(250);
  });

  it('subscribes without a secret when none is given, and shows the one the API generated, once', async () => {
    const result = await client.subscribe([
      { feedUrl: 'https://a.example/feed', webhook: 'https://hook.example/a' },
      { feedUrl: 'https://a.example/feed', webhook: 'https://hook.example/b', secret: 'whsec_bWluZQ==' },
    ]);

    expect(result.created).toBe(2);
    expect(result.subscriptions).toEqual([
      expect.objectContaining({
        feed: 'https://a.example/feed',
        webhook: 'https://hook.example/a',
        secret: 'whsec_c2VydmVy',
      }),
      expect.objectContaining({ webhook: 'https://hook.example/b', secret: 'whsec_bWluZQ==', status: 'active' }),
    ]);
    const posts = api.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.url)).toEqual(['/subscriptions/import']);
    expect(JSON.parse(posts[0]!.body)).toEqual({
      subscriptions: [
        { feed: 'https://a.example/feed', webhook: 'https://hook.example/a' },
        { feed: 'https://a.example/feed', webhook: 'https://hook.example/b', secret: 'whsec_bWluZQ==' },
      ],
    });
  });

  it('subscribes in batches of 500 of whole feeds where they fit, answering each subscription in the order given', async () => {
    const requests = Array.from({ length: 1200 }, (_, i) => ({
      feedUrl: `https://f${i % 7}.example/feed`,
      webhook: `https://hook.example/${i}`,
    }));

    const result = await client.subscribe(requests);

    expect(result.created).toBe(1200);
    expect(result.failed).toEqual([]);
    expect(result.subscriptions.map((s) => s?.webhook)).toEqual(requests.map((r) => r.webhook));
    const batches = api.requests.map(
      (r) => (JSON.parse(r.body) as { subscriptions: { feed: string }[] }).subscriptions,
    );
    expect(batches.map((b) => b.length).sort((a, b) => b - a)).toEqual([500, 500, 200]);
    // 1,200 lines of 7 feeds, the feeds' lines interleaved: each feed's lines in at most two batches.
    for (let f = 0; f < 7; f++) {
      const holding = batches.filter((b) => b.some((s) => s.feed === `https://f${f}.example/feed`));
      expect(holding.length).toBeLessThanOrEqual(2);
    }
  });

  it('sends a refused batch again one subscription per call: the refused one is reported, the others stand', async () => {
    const result = await client.subscribe([
      { feedUrl: 'https://a.example/feed', webhook: 'https://hook.example/1' },
      { feedUrl: 'https://a.example/feed', webhook: 'http://refused.example/hook' },
      { feedUrl: 'https://a.example/feed', webhook: 'https://hook.example/3' },
    ]);

    expect(result.created).toBe(2);
    expect(result.subscriptions.map((s) => s?.webhook)).toEqual([
      'https://hook.example/1',
      undefined,
      'https://hook.example/3',
    ]);
    expect(result.failed).toEqual([
      {
        item: 1,
        code: 'blocked_address',
        status: 400,
        message: 'POST /subscriptions: http://refused.example/hook is internal',
      },
    ]);
    expect(api.requests.map((r) => r.url)).toEqual([
      '/subscriptions/import',
      '/subscriptions',
      '/subscriptions',
      '/subscriptions',
    ]);
    expect(state.subs).toHaveLength(2);
  });

  it('subscribes one per call through an API without the batch route (404), after one try', async () => {
    api.answer(
      on('POST', '/subscriptions/import', { status: 404, body: { error: { code: 'not_found', message: 'no route' } } }),
      ...contractRoutes(state),
    );
    const requests = Array.from({ length: 600 }, (_, i) => ({
      feedUrl: 'https://a.example/feed',
      webhook: `https://hook.example/${i}`,
    }));

    const result = await client.subscribe(requests);

    expect(result.created).toBe(600);
    const batchCalls = api.requests.filter((r) => r.url === '/subscriptions/import');
    expect(batchCalls.length).toBeGreaterThanOrEqual(1);
    expect(batchCalls.length).toBeLessThanOrEqual(2);
    expect(api.requests.filter((r) => r.url === '/subscriptions')).toHaveLength(600);
  });

  it('shows no secret for a subscription that was already there (the API shows it at creation only)', async () => {
    await client.subscribe([{ feedUrl: 'https://a.example/feed', webhook: 'https://hook.example/a' }]);

    const again = await client.subscribe([
      { feedUrl: 'https://a.example/feed', webhook: 'https://hook.example/a', secret: 'whsec_bmV3' },
    ]);

    expect(again.created).toBe(0);
    expect(again.subscriptions[0]).toEqual(expect.objectContaining({ webhook: 'https://hook.example/a' }));
    expect(again.subscriptions[0]).not.toHaveProperty('secret');
  });

  it("lists every feed's subscriptions with the feed's URL; an unknown feed has none", async () => {
    await client.subscribe([
      { feedUrl: 'https://a.example/feed', webhook: 'https://hook.example/1' },
      { feedUrl: 'https://b.example/feed', webhook: 'https://hook.example/2' },
    ]);

    const all = [];
    for await (const s of client.listSubscriptions()) all.push(s);
    const none = [];
    for await (const s of client.listSubscriptions('https://unknown.example/feed')) none.push(s);

    // In the order the API lists feeds (here the order it stored them in).
    expect(all.map((s) => [s.feed, s.webhook]).sort()).toEqual([
      ['https://a.example/feed', 'https://hook.example/1'],
      ['https://b.example/feed', 'https://hook.example/2'],
    ]);
    expect(all.every((s) => !('secret' in s))).toBe(true);
    expect(none).toEqual([]);
  });

  it('starts a run (force only when asked), shows one, and lists them with the limit only when one is given', async () => {
    expect(await client.startRun(true)).toEqual({ runId: 'run-1' });
    expect(await client.startRun(false)).toEqual({ runId: 'run-1' });
    expect(await client.showRun('run-1')).toEqual({ runId: 'run-1', complete: true });
    expect(await client.listRuns(1)).toEqual([{ runId: 'run-2' }]);
    expect(await client.listRuns(undefined)).toHaveLength(2);

    expect(api.requests.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
      'POST /runs {"force":true}',
      'POST /runs {}',
      'GET /runs/run-1 ',
      'GET /runs?limit=1 ',
      'GET /runs ',
    ]);
  });

  it('is not_found with the status for an unknown run', async () => {
    await expect(client.showRun('nope')).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });
});
