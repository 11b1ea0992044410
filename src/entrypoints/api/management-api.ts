import type { ServiceIdentifier } from 'inversify';
import type { Logger } from 'pino';
import { ConflictError, NotFoundError, SinkRefusedError } from '../../application/errors.js';
import { AddFeeds } from '../../application/use-cases/add-feeds.js';
import { CreateSubscription } from '../../application/use-cases/create-subscription.js';
import { GetFeed } from '../../application/use-cases/get-feed.js';
import { ListFeeds } from '../../application/use-cases/list-feeds.js';
import { ListRuns } from '../../application/use-cases/list-runs.js';
import { ListSubscriptions } from '../../application/use-cases/list-subscriptions.js';
import { RemoveFeed } from '../../application/use-cases/remove-feed.js';
import { RotateSubscriptionSecret } from '../../application/use-cases/rotate-subscription-secret.js';
import { StartCrawlRun } from '../../application/use-cases/start-crawl-run.js';
import type { SubscribeInput } from '../../application/use-cases/subscribe.js';
import { SummarizeRun } from '../../application/use-cases/summarize-run.js';
import { Unsubscribe } from '../../application/use-cases/unsubscribe.js';
import { DomainError, excerpt } from '../../domain/errors.js';
import { acceptFeedUrl, feedIdFor, type Feed } from '../../domain/feed.js';
import { checkSubscriptionInput } from '../../domain/subscription.js';
import { errorResponse, jsonResponse, noContent, type ApiRequest, type ApiResponse } from './api-http.js';
import { ApiError } from './errors.js';
import { newSecret } from '../secrets.js';
import { describeFeed, describeSubscription } from '../views.js';
import { fieldsOf, idOf, inField, jsonBody, limitOf, nextOf, positionOf, queryOf } from './request-input.js';
import { Router, type Route } from './router.js';

/** What the routes resolve their use cases from: the composition's container. */
export interface ApiServices {
  get<T>(id: ServiceIdentifier<T>): T;
}

export type ManagementRoute = Route<ApiServices>;

/** Feeds and subscriptions a page holds when the request does not say (`limit`), and at most. */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
/** Runs `GET /runs` lists, newest first, when the request does not say, and at most. */
const DEFAULT_RUNS = 20;
const MAX_RUNS = 100;

const FEEDS_SCOPE = 'feeds';
const subscriptionsScope = (feedId: string) => `subscriptions:${feedId}`;

/**
 * The management API's routes (docs/reference.md, "Management API"): feeds, subscriptions and runs. Each
 * entry is a method, a path and a handler that reads the request, calls one use case and shapes its answer.
 * A new route is one more entry (its use case also goes into `API_USE_CASES` of the Lambda entry).
 */
export const MANAGEMENT_ROUTES: readonly ManagementRoute[] = [
  {
    method: 'GET',
    path: '/feeds',
    async handle({ request, services }) {
      const query = queryOf(request, ['limit', 'cursor']);
      const limit = limitOf(query.limit, DEFAULT_PAGE, MAX_PAGE);
      const page = await inFieldAsync('cursor', () =>
        services.get(ListFeeds).page(limit, positionOf(query.cursor, FEEDS_SCOPE)),
      );
      return jsonResponse(200, { feeds: page.items.map(feedView), ...nextOf(page.next, FEEDS_SCOPE) });
    },
  },
  {
    method: 'POST',
    path: '/feeds',
    async handle({ request, services }) {
      queryOf(request, []);
      const entry = feedEntryOf(jsonBody(request));
      const result = await services.get(AddFeeds).execute([entry]);
      const added = result.added[0];
      if (added) return jsonResponse(201, { feed: feedView(added) });
      return jsonResponse(200, { feed: feedView(await services.get(GetFeed).execute(feedIdFor(entry.url))) });
    },
  },
  {
    method: 'POST',
    path: '/feeds/import',
    async handle({ request, services }) {
      queryOf(request, []);
      const entries = itemsOf(jsonBody(request), 'feeds', '{"url", "title"?}', feedEntryOf);
      const result = await services.get(AddFeeds).execute(entries);
      // The feeds added (or made active again), in the order asked for; the others were there already.
      const order = new Map(entries.map((entry, i) => [feedIdFor(entry.url), i] as const).reverse());
      const added = [...result.added].sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      return jsonResponse(200, { added: added.map(feedView), existing: result.existing });
    },
  },
  {
    method: 'GET',
    path: '/feeds/{feedId}',
    async handle({ request, params, services }) {
      queryOf(request, []);
      return jsonResponse(200, { feed: feedView(await services.get(GetFeed).execute(idOf(params.feedId!, 'feed'))) });
    },
  },
  {
    method: 'DELETE',
    path: '/feeds/{feedId}',
    async handle({ request, params, services }) {
      queryOf(request, []);
      await services.get(RemoveFeed).execute(idOf(params.feedId!, 'feed'));
      return noContent();
    },
  },
  {
    method: 'POST',
    path: '/subscriptions',
    async handle({ request, services }) {
      queryOf(request, []);
      const input = subscriptionInputOf(jsonBody(request));
      let result;
      try {
        result = await services.get(CreateSubscription).execute(input);
      } catch (error) {
        if (error instanceof SinkRefusedError) throw new ApiError(400, error.code, `"webhook": ${error.message}`);
        throw error;
      }
      const { subscription, created } = result;
      // As `POST /feeds`: 200 with what is there when that sink already subscribes (an import run twice
      // changes nothing), without its secret, which was shown once, at its creation.
      if (!created || input.secret === undefined) {
        return jsonResponse(created ? 201 : 200, { subscription: subscriptionView(subscription) });
      }
      // The secret is shown here, once; it is the one given or generated, whatever the store keeps.
      return jsonResponse(201, { subscription: { ...subscriptionView(subscription), secret: input.secret } });
    },
  },
  {
    method: 'POST',
    path: '/subscriptions/import',
    async handle({ request, services }) {
      queryOf(request, []);
      const inputs = itemsOf(
        jsonBody(request),
        'subscriptions',
        '{"feed", "webhook" | "sqs", "secret"?}',
        subscriptionInputOf,
      );
      const result = await services.get(CreateSubscription).executeMany(inputs);
      if (result.refused) {
        const { index, reason } = result.refused[0]!;
        const refusal = new SinkRefusedError(reason);
        throw new ApiError(400, refusal.code, `subscriptions[${index}]: "webhook": ${refusal.message}`);
      }
      // Of items naming one subscription, the last one's secret is the one stored: each shows that one.
      const secrets = new Map(result.created.map(({ subscription }, i) => [subscription.id, inputs[i]!.secret]));
      return jsonResponse(200, {
        subscriptions: result.created.map(({ subscription, created }) => {
          const secret = created ? secrets.get(subscription.id) : undefined;
          return { ...subscriptionView(subscription), ...(secret !== undefined ? { secret } : {}) };
        }),
        created: new Set(result.created.flatMap(({ subscription, created }) => (created ? [subscription.id] : [])))
          .size,
      });
    },
  },
  {
    method: 'GET',
    path: '/feeds/{feedId}/subscriptions',
    async handle({ request, params, services }) {
      const feedId = idOf(params.feedId!, 'feed');
      const query = queryOf(request, ['limit', 'cursor']);
      const limit = limitOf(query.limit, DEFAULT_PAGE, MAX_PAGE);
      const scope = subscriptionsScope(feedId);
      const page = await inFieldAsync('cursor', () =>
        services.get(ListSubscriptions).page(feedId, limit, positionOf(query.cursor, scope)),
      );
      return jsonResponse(200, { subscriptions: page.items.map(subscriptionView), ...nextOf(page.next, scope) });
    },
  },
  {
    method: 'POST',
    path: '/feeds/{feedId}/subscriptions/{subscriptionId}/secret',
    async handle({ request, params, services }) {
      queryOf(request, []);
      const fields = fieldsOf(jsonBody(request), { secret: { type: 'string' }, graceSeconds: { type: 'number' } });
      const secret = fields.secret ?? newSecret();
      inField('secret', () =>
        checkSubscriptionInput({
          feedUrl: 'https://feed.invalid/',
          sink: { kind: 'webhook', url: 'https://webhook.invalid/' },
          secret,
        }),
      );
      const result = await services.get(RotateSubscriptionSecret).execute({
        feedId: idOf(params.feedId!, 'feed'),
        subscriptionId: idOf(params.subscriptionId!, 'subscription'),
        secret,
        ...(fields.graceSeconds !== undefined ? { graceSeconds: fields.graceSeconds } : {}),
      });
      // The new secret is shown here, once; the previous one still signs until `previousSecretValidUntil`.
      return jsonResponse(200, {
        subscription: { ...subscriptionView(result.subscription), secret: result.secret },
        previousSecretValidUntil: result.previousSecretUntil ?? null,
      });
    },
  },
  {
    method: 'DELETE',
    path: '/feeds/{feedId}/subscriptions/{subscriptionId}',
    async handle({ request, params, services }) {
      queryOf(request, []);
      await services
        .get(Unsubscribe)
        .execute(idOf(params.feedId!, 'feed'), idOf(params.subscriptionId!, 'subscription'));
      return noContent();
    },
  },
  {
    method: 'POST',
    path: '/runs',
    async handle({ request, services, logger }) {
      queryOf(request, []);
      const { force } = fieldsOf(jsonBody(request, { optional: true }), { force: { type: 'boolean' } });
      const { run, started } = await services.get(StartCrawlRun).execute({ force: force === true });
      if (!started) {
        throw new ApiError(
          409,
          'run_in_progress',
          `run ${run.id} is still fetching; a new run starts once it is done`,
          {},
          { runId: run.id },
        );
      }
      logger.info({ runId: run.id, force: run.force }, 'crawl run started through the management API');
      return jsonResponse(202, { runId: run.id }, { location: `/runs/${run.id}` });
    },
  },
  {
    method: 'GET',
    path: '/runs',
    async handle({ request, services }) {
      const query = queryOf(request, ['limit']);
      return jsonResponse(200, {
        runs: await services.get(ListRuns).execute(limitOf(query.limit, DEFAULT_RUNS, MAX_RUNS)),
      });
    },
  },
  {
    method: 'GET',
    path: '/runs/{runId}',
    async handle({ request, params, services }) {
      queryOf(request, []);
      return jsonResponse(200, await services.get(SummarizeRun).execute(idOf(params.runId!, 'run')));
    },
  },
];

export type ManagementApi = (request: ApiRequest) => Promise<ApiResponse>;

/**
 * The management API as one function from request to answer, the same behind `serve` and API Gateway.
 * Bad input is a 4xx naming the problem, an unknown id 404; anything unexpected is logged and answered 500
 * with a generic message (never the error's own text or stack).
 */
export function createManagementApi(
  services: ApiServices,
  logger: Logger,
  routes: readonly ManagementRoute[] = MANAGEMENT_ROUTES,
): ManagementApi {
  const router = new Router(routes);
  return async (request) => {
    try {
      const { route, params } = router.match(request);
      return await route.handle({ request, params, services, logger });
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error);
      if (error instanceof NotFoundError) return errorResponse(new ApiError(404, error.code, error.message));
      if (error instanceof ConflictError) return errorResponse(new ApiError(409, error.code, error.message));
      if (error instanceof DomainError) return errorResponse(new ApiError(400, error.code, error.message));
      logger.error({ err: error, method: request.method, path: request.path }, 'management API request failed');
      return errorResponse(new ApiError(500, 'internal_error', 'the request failed unexpectedly; see the logs'));
    }
  };
}

async function inFieldAsync<T>(field: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) {
      throw new ApiError(400, error.code, `"${field}": ${error.message}`);
    }
    throw error;
  }
}

/** A well-formed secret, to check a webhook URL on its own. */
const PLACEHOLDER_SECRET = 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** A feed as the API shows it: as `feeds list --json` shows it, with its creation time. */
export function feedView(feed: Feed) {
  return { ...describeFeed(feed), createdAt: feed.createdAt };
}

/** A subscription as the API shows it (as the CLI does): never its secret. */
export const subscriptionView = describeSubscription;

/** Items one bulk call (`POST /feeds/import`, `POST /subscriptions/import`) takes at most (about 250 KB). */
export const MAX_IMPORTED = 1000;

/**
 * The items of a bulk call's body, whose one field `name` is a list of 1 to `MAX_IMPORTED` objects shaped as
 * `shape` says, each read by `read`. Every item is read before anything is written: a 400 names the first bad
 * one (`feeds[3]: "url": …`).
 */
function itemsOf<T>(
  body: Record<string, unknown>,
  name: string,
  shape: string,
  read: (fields: Record<string, unknown>) => T,
): T[] {
  const extra = Object.keys(body).find((field) => field !== name);
  if (extra !== undefined) {
    throw new ApiError(400, 'invalid_request', `unknown field ${excerpt(extra, 40)}; expected {"${name}": […]}`);
  }
  const items = body[name];
  if (!Array.isArray(items) || items.length < 1 || items.length > MAX_IMPORTED) {
    throw new ApiError(400, 'invalid_request', `"${name}" must be an array of 1 to ${MAX_IMPORTED} items ${shape}`);
  }
  return items.map((item: unknown, index) => {
    try {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw new ApiError(400, 'invalid_request', `must be an object ${shape}`);
      }
      return read(item as Record<string, unknown>);
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        throw new ApiError(400, error.code, `${name}[${index}]: ${error.message}`);
      }
      throw error;
    }
  });
}

/** What one feed's fields ask for: its URL, checked, and a title if given. */
function feedEntryOf(body: Record<string, unknown>): { url: string; title?: string } {
  const { url, title } = fieldsOf(body, { url: { type: 'string', required: true }, title: { type: 'string' } });
  return { url: inField('url', () => acceptFeedUrl(url!)), ...(title !== undefined ? { title } : {}) };
}

/**
 * What one subscription's fields ask for, checked one at a time so that a message names the field at fault: the
 * feed, one sink (`webhook` or `sqs`), and a webhook's secret (generated when not given).
 */
function subscriptionInputOf(body: Record<string, unknown>): SubscribeInput {
  const fields = fieldsOf(body, {
    feed: { type: 'string', required: true },
    webhook: { type: 'string' },
    sqs: { type: 'string' },
    secret: { type: 'string' },
  });
  const feedUrl = inField('feed', () => acceptFeedUrl(fields.feed!));
  if ((fields.webhook === undefined) === (fields.sqs === undefined)) {
    throw new ApiError(400, 'invalid_request', 'give one of "webhook" (a URL) and "sqs" (a queue URL)');
  }
  if (fields.sqs !== undefined && fields.secret !== undefined) {
    throw new ApiError(400, 'invalid_request', '"secret" signs webhooks only, not "sqs" deliveries');
  }
  if (fields.sqs !== undefined) {
    const sink = { kind: 'sqs', url: fields.sqs } as const;
    inField('sqs', () => checkSubscriptionInput({ feedUrl, sink }));
    return { feedUrl, sink };
  }
  const sink = { kind: 'webhook', url: fields.webhook! } as const;
  inField('webhook', () => checkSubscriptionInput({ feedUrl, sink, secret: PLACEHOLDER_SECRET }));
  const secret = fields.secret ?? newSecret();
  inField('secret', () => checkSubscriptionInput({ feedUrl, sink, secret }));
  return { feedUrl, sink, secret };
}
