import type { ListedRunSummary } from '../../../application/use-cases/list-runs.js';
import type { CrawlRunSummary } from '../../../domain/crawl-run.js';
import { feedIdFor } from '../../../domain/feed.js';
import { ManagementApiError } from '../../../adapters/management-api/errors.js';
import type { ManagementApiClient } from '../../../adapters/management-api/management-api-client.js';
import type { FeedView, SubscriptionView } from '../../views.js';
import type { FeedEntry, ItemFailure, ManagementClient, SubscriptionRequest } from './management-client.js';

/** Items of a list asked for per request. */
const PAGE_SIZE = 100;
/** Calls in flight at once for a batch (one call per item, or per `IMPORT_BATCH` subscriptions). */
const BATCH_CONCURRENCY = 4;
/** Subscriptions sent per `POST /subscriptions/import` (the API takes up to 1,000; 500 are about 100 KB). */
const IMPORT_BATCH = 500;

interface ApiSubscription {
  readonly id: string;
  readonly feedId: string;
  readonly webhook: string;
  readonly createdAt: string;
  readonly status?: string;
  readonly secret?: string;
}

/**
 * The management commands through the management API of `feedrelay serve` or of a deployed stack. Feeds and
 * subscriptions are added in batches (`POST /feeds/import`, `POST /subscriptions/import`), feeds removed one per
 * call (`DELETE /feeds/{id}`). A few calls are in flight at once, and an item the API refuses is reported in
 * `failed` while the others stand.
 */
export class RemoteManagementClient implements ManagementClient {
  constructor(private readonly api: ManagementApiClient) {}

  /**
   * In batches of `IMPORT_BATCH` feeds (`POST /feeds/import`), the first of duplicates only, as the embedded stack
   * keeps one feed per id. A batch the API refuses is sent again one feed per call (`POST /feeds`), as is every
   * batch through an API without the batch route.
   */
  async addFeeds(entries: readonly FeedEntry[]) {
    const firsts = new Map<string, number>();
    entries.forEach((entry, index) => {
      const id = feedIdFor(entry.url);
      if (!firsts.has(id)) firsts.set(id, index);
    });
    const added = new Map<number, FeedView>();
    let existing = 0;
    const oneByOne = await inBatches([...firsts.values()], async (batch) => {
      const answer = await this.api.request<{ added?: FeedView[]; existing?: number }>('POST', '/feeds/import', {
        body: { feeds: batch.map((index) => ({ url: entries[index]!.url })) },
        accept: [404],
      });
      if (answer.status === 404) return 'no batch route';
      const { added: stored, existing: there } = answer.body ?? {};
      if (!Array.isArray(stored) || typeof there !== 'number' || stored.some((f) => typeof f?.url !== 'string')) {
        throw new ManagementApiError(
          'bad_response',
          'POST /feeds/import: expected {"added": […], "existing"}',
          answer.status,
        );
      }
      existing += there;
      for (const feed of stored) {
        const index = firsts.get(feedIdFor(feed.url));
        if (index !== undefined) added.set(index, feed);
      }
      return 'done';
    });
    const failed = await eachOf(oneByOne, async (index) => {
      const { status, body } = await this.api.request<{ feed?: FeedView }>('POST', '/feeds', {
        body: { url: entries[index]!.url },
      });
      if (status !== 201) existing++;
      else if (body?.feed && typeof body.feed.url === 'string') added.set(index, body.feed);
      else throw new ManagementApiError('bad_response', 'POST /feeds: expected {"feed": {…}} with a 201', status);
    });
    // In the order given, as the embedded stack answers.
    return { added: [...added].sort(([a], [b]) => a - b).map(([, feed]) => feed), existing, failed };
  }

  async *listFeeds(): AsyncGenerator<FeedView> {
    yield* this.api.pages<FeedView>('/feeds', 'feeds', PAGE_SIZE);
  }

  async removeFeeds(urls: readonly string[]) {
    const gone = new Set<number>();
    const missingAt = new Set<number>();
    const failed = await eachOf(
      urls.map((_, i) => i),
      async (index) => {
        const { status } = await this.api.request('DELETE', `/feeds/${encodeURIComponent(feedIdFor(urls[index]!))}`, {
          accept: [404],
        });
        (status === 404 ? missingAt : gone).add(index);
      },
    );
    return {
      removed: urls.filter((_, i) => gone.has(i)),
      missing: urls.filter((_, i) => missingAt.has(i)),
      failed,
    };
  }

  /**
   * In batches of `IMPORT_BATCH` (`POST /subscriptions/import`, a few at a time). A batch the API refuses (one of
   * its items is bad, or a webhook is refused) is sent again one item per call (`POST /subscriptions`), so that
   * exactly the items refused are reported while the others stand; so is every batch when the API has no
   * batch route (one older than it).
   */
  async subscribe(requests: readonly SubscriptionRequest[]) {
    const subscriptions: ((SubscriptionView & { secret?: string }) | undefined)[] = requests.map(() => undefined);
    let created = 0;
    // Batches of whole feeds where they fit: a feed's subscriptions sent together are created in packs with
    // it, one lookup and count at most, where lines of many feeds spread over every batch would cost each feed
    // a lookup and a count in each batch.
    const feedIds = requests.map((request) => feedIdFor(request.feedUrl));
    const byFeed = requests
      .map((_, i) => i)
      .sort((a, b) => (feedIds[a]! < feedIds[b]! ? -1 : feedIds[a]! > feedIds[b]! ? 1 : a - b));
    const oneByOne = await inBatches(byFeed, async (batch) => {
      const answer = await this.api.request<{ subscriptions?: ApiSubscription[]; created?: number }>(
        'POST',
        '/subscriptions/import',
        { body: { subscriptions: batch.map((index) => bodyOf(requests[index]!)) }, accept: [404] },
      );
      if (answer.status === 404) return 'no batch route';
      const stored = answer.body?.subscriptions;
      if (!Array.isArray(stored) || stored.length !== batch.length || stored.some((s) => typeof s?.id !== 'string')) {
        throw new ManagementApiError(
          'bad_response',
          `POST /subscriptions/import: expected {"subscriptions": […]} of the ${batch.length} sent`,
          answer.status,
        );
      }
      created += typeof answer.body?.created === 'number' ? answer.body.created : 0;
      stored.forEach((subscription, i) => {
        const index = batch[i]!;
        subscriptions[index] = {
          ...viewOf(subscription, requests[index]!.feedUrl),
          ...(subscription.secret ? { secret: subscription.secret } : {}),
        };
      });
      return 'done';
    });
    const failed = await eachOf(oneByOne, async (index) => {
      const request = requests[index]!;
      const { status, body } = await this.api.request<{ subscription?: ApiSubscription }>('POST', '/subscriptions', {
        body: bodyOf(request),
      });
      const subscription = body?.subscription;
      if (!subscription || typeof subscription.id !== 'string') {
        throw new ManagementApiError('bad_response', 'POST /subscriptions: expected {"subscription": {…}}', status);
      }
      if (status === 201) created++;
      // The API shows a secret at creation only: an existing subscription comes back without it.
      const secret = subscription.secret ?? (status === 201 ? request.secret : undefined);
      subscriptions[index] = { ...viewOf(subscription, request.feedUrl), ...(secret ? { secret } : {}) };
    });
    return { subscriptions, created, failed };
  }

  async *listSubscriptions(feedUrl?: string): AsyncGenerator<SubscriptionView> {
    if (feedUrl !== undefined) {
      const feedId = feedIdFor(feedUrl);
      try {
        yield* this.subscriptionsOf(feedId, feedUrl);
      } catch (error) {
        // An unknown feed has no subscriptions, as on the embedded stack.
        if (error instanceof ManagementApiError && error.status === 404 && error.code === 'not_found') return;
        throw error;
      }
      return;
    }
    for await (const feed of this.listFeeds()) yield* this.subscriptionsOf(feed.id, feed.url);
  }

  async listRuns(limit: number | undefined): Promise<ListedRunSummary[]> {
    const { body } = await this.api.request<{ runs?: ListedRunSummary[] }>('GET', '/runs', {
      query: { limit: limit === undefined ? undefined : String(limit) },
    });
    if (!Array.isArray(body?.runs)) throw new ManagementApiError('bad_response', 'GET /runs: expected {"runs": [...]}');
    return limit === undefined ? body.runs : body.runs.slice(0, limit);
  }

  async showRun(runId: string): Promise<CrawlRunSummary> {
    return (await this.api.request<CrawlRunSummary>('GET', `/runs/${encodeURIComponent(runId)}`)).body;
  }

  async startRun(force: boolean): Promise<{ runId: string }> {
    const { body, status } = await this.api.request<{ runId?: unknown }>('POST', '/runs', {
      body: force ? { force: true } : {},
    });
    if (typeof body?.runId !== 'string') {
      throw new ManagementApiError('bad_response', 'POST /runs: expected {"runId": "…"}', status);
    }
    return { runId: body.runId };
  }

  async close(): Promise<void> {}

  private async *subscriptionsOf(feedId: string, feedUrl: string): AsyncGenerator<SubscriptionView> {
    const path = `/feeds/${encodeURIComponent(feedId)}/subscriptions`;
    for await (const s of this.api.pages<ApiSubscription>(path, 'subscriptions', PAGE_SIZE)) yield viewOf(s, feedUrl);
  }
}

/** The API's fields for one subscription asked for. */
function bodyOf(request: SubscriptionRequest): Record<string, string> {
  return {
    feed: request.feedUrl,
    ...(request.webhook !== undefined ? { webhook: request.webhook } : { sqs: request.sqs! }),
    ...(request.secret !== undefined ? { secret: request.secret } : {}),
  };
}

/** A subscription as the API answers it, shown as the embedded stack shows it (the API has no feed URL in it). */
function viewOf(s: ApiSubscription, feedUrl: string): SubscriptionView {
  return {
    id: s.id,
    feed: feedUrl,
    feedId: s.feedId,
    webhook: s.webhook,
    ...(typeof s.status === 'string' ? { status: s.status } : {}),
    createdAt: s.createdAt,
  };
}

/**
 * Sends `items` in batches of `IMPORT_BATCH`, `BATCH_CONCURRENCY` at a time, through `send`; returns the items to
 * send one per call instead, in order: those of a batch the API refused (one of its items is bad), and every
 * batch's once the API says it has no batch route. A refusal every item would meet stops it all (`eachOf`).
 */
async function inBatches(
  items: readonly number[],
  send: (batch: readonly number[]) => Promise<'done' | 'no batch route'>,
): Promise<number[]> {
  const batches: number[][] = [];
  for (let start = 0; start < items.length; start += IMPORT_BATCH)
    batches.push(items.slice(start, start + IMPORT_BATCH));
  const oneByOne: number[] = [];
  let noBatchRoute = false;
  await eachOf(
    batches.map((_, b) => b),
    async (b) => {
      const batch = batches[b]!;
      if (!noBatchRoute) {
        try {
          if ((await send(batch)) === 'done') return;
          noBatchRoute = true;
        } catch (error) {
          if (!(error instanceof ManagementApiError) || error.status === undefined || isWholesale(error)) throw error;
        }
      }
      oneByOne.push(...batch);
    },
  );
  return oneByOne.sort((a, b) => a - b);
}

/**
 * Runs `work` for every item, `BATCH_CONCURRENCY` at a time. An item whose call the API refused (a
 * `ManagementApiError` with a status) is a failure of that item; anything else (the API unreachable, no
 * credentials) stops the batch, since every other item would fail the same way.
 */
async function eachOf(items: readonly number[], work: (index: number) => Promise<void>): Promise<ItemFailure[]> {
  const failures: ItemFailure[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = items[next++]!;
      try {
        await work(index);
      } catch (error) {
        if (!(error instanceof ManagementApiError) || error.status === undefined || isWholesale(error)) {
          next = items.length;
          throw error;
        }
        failures.push({ item: index, code: error.code, message: error.message, status: error.status });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, items.length) }, worker));
  return failures.sort((a, b) => a.item - b.item);
}

/** Refusals that every other item of the batch would meet too. */
const isWholesale = (error: ManagementApiError) =>
  error.status === 401 || error.status === 403 || error.status === 429 || (error.status ?? 0) >= 500;
