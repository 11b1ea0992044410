import type { Logger } from 'pino';
import { InvalidMessageError } from '../../application/errors.js';
import type { DeadLetterSink } from '../../application/ports/dead-letters.port.js';
import type { RelayMetrics } from '../../application/ports/relay-metrics.port.js';
import type { DeliveryTally } from '../../application/delivery-attempts.js';
import type { DeliverBatch, DeliverBatchResult } from '../../application/use-cases/deliver-batch.js';
import type { FetchFeeds, FetchFeedsResult } from '../../application/use-cases/fetch-feeds.js';
import type { ScanFeedsPage } from '../../application/use-cases/scan-feeds-page.js';
import type { ScanSubscribersPage, ScanSubscribersResult } from '../../application/use-cases/scan-subscribers-page.js';
import type { StartCrawlRun, StartedRun } from '../../application/use-cases/start-crawl-run.js';
import type { StartFanOut } from '../../application/use-cases/start-fan-out.js';
import { parseWorkMessage, type WorkMessage, type WorkMessageType } from '../../application/work-messages.js';
import type { ArticlesDiscovered } from '../../domain/crawl-run.js';
import { QUEUES, type QueueKey } from '../../adapters/aws-resources.js';
import { sqsBatchHandler, type DeadLetterPolicy, type SqsBatchResponse, type SqsEvent } from './sqs-batch.js';

/*
 * One handler per message type, each given its use case. The use cases are imported as types only, so that a
 * Lambda entry that imports one of these functions bundles its own use case and no other.
 */

export type SqsHandler = (event: SqsEvent) => Promise<SqsBatchResponse>;

/** The dead-letter policy of `queue`'s handler: park in `deadLetters`, giving up on the queue's last receive. */
const policyFor = (queue: QueueKey, deadLetters: DeadLetterSink | undefined): DeadLetterPolicy | undefined =>
  deadLetters && { deadLetters, maxReceiveCount: QUEUES[queue].maxReceiveCount };

/** Counts nothing: for a handler composed without metrics. */
const NO_METRICS: RelayMetrics = { count: () => undefined };

export type StartCrawlHandler = (event?: { force?: boolean }) => Promise<{ runId: string; started: boolean }>;

export function startCrawlHandler(
  startCrawl: StartCrawlRun,
  logger: Logger,
  metrics: RelayMetrics = NO_METRICS,
): StartCrawlHandler {
  return async (event) => {
    const started = await startCrawl.execute({ force: event?.force === true });
    countStart(metrics, started);
    const { run } = started;
    if (started.started) logger.info({ runId: run.id, force: run.force, segments: run.segments }, 'crawl run started');
    else logger.info({ runId: run.id }, 'crawl run not started: the last run is still going');
    return { runId: run.id, started: started.started };
  };
}

/**
 * The handler of one queue's work messages: each record parsed as a `type` message (anything else is
 * invalid) and handed to `handle`; dead letters parked by the queue's policy.
 */
function workHandler<T extends WorkMessageType>(
  type: T,
  queue: QueueKey,
  logger: Logger,
  deadLetters: DeadLetterSink | undefined,
  handle: (message: Extract<WorkMessage, { type: T }>) => Promise<unknown>,
): SqsHandler {
  return sqsBatchHandler(
    type,
    logger,
    async (body) => {
      await handle(parseWorkMessage(body, type) as Extract<WorkMessage, { type: T }>);
    },
    policyFor(queue, deadLetters),
  );
}

export function scanFeedsHandler(
  scanFeeds: ScanFeedsPage,
  logger: Logger,
  deadLetters?: DeadLetterSink,
  metrics: RelayMetrics = NO_METRICS,
): SqsHandler {
  return workHandler('scan-feeds', 'scanFeeds', logger, deadLetters, async (message) =>
    countPage(metrics, await scanFeeds.execute(message)),
  );
}

export function fetchFeedHandler(
  fetchFeed: FetchFeeds,
  logger: Logger,
  deadLetters?: DeadLetterSink,
  metrics: RelayMetrics = NO_METRICS,
): SqsHandler {
  return workHandler('fetch-feed', 'fetchFeed', logger, deadLetters, async (message) =>
    countFetch(metrics, await fetchFeed.execute(message)),
  );
}

export function startFanOutHandler(
  startFanOut: StartFanOut,
  logger: Logger,
  deadLetters?: DeadLetterSink,
  metrics: RelayMetrics = NO_METRICS,
): SqsHandler {
  return sqsBatchHandler(
    'start-fan-out',
    logger,
    async (body) => {
      const { pagesScanned, delivered } = await startFanOut.execute(parseDiscoveryEnvelope(body));
      metrics.count('RelayPages', pagesScanned);
      for (const tally of delivered) countTally(metrics, tally);
    },
    policyFor('startFanOut', deadLetters),
  );
}

export function scanSubscribersHandler(
  scanSubscribers: ScanSubscribersPage,
  logger: Logger,
  deadLetters?: DeadLetterSink,
  metrics: RelayMetrics = NO_METRICS,
): SqsHandler {
  return workHandler('scan-subscribers', 'scanSubscribers', logger, deadLetters, async (message) =>
    countPage(metrics, await scanSubscribers.execute(message)),
  );
}

export function deliverHandler(
  deliver: DeliverBatch,
  logger: Logger,
  deadLetters?: DeadLetterSink,
  metrics: RelayMetrics = NO_METRICS,
): SqsHandler {
  return workHandler('deliver', 'deliver', logger, deadLetters, async (message) =>
    countDelivery(metrics, await deliver.execute(message)),
  );
}

/*
 * What each result adds to the relay metrics. Only work that ran counts: a step found done or held elsewhere
 * (a duplicate message) adds nothing, so redelivery cannot inflate the counts.
 */

function countStart(metrics: RelayMetrics, result: StartedRun): void {
  metrics.count('RunsStarted', result.started ? 1 : 0);
  metrics.count('RunsFinished', result.finishedRuns?.length ?? 0);
}

function countPage(metrics: RelayMetrics, result: ScanSubscribersResult): ScanSubscribersResult {
  if (result.kind === 'scanned') metrics.count('RelayPages', 1);
  if (result.kind === 'scanned' && result.delivered) countTally(metrics, result.delivered);
  return result;
}

function countFetch(metrics: RelayMetrics, result: FetchFeedsResult): FetchFeedsResult {
  if (result.kind === 'fetched') {
    metrics.count('FeedsFetched', result.fetched);
    metrics.count('FeedsNotModified', result.notModified);
    metrics.count('FeedsFailed', result.failed);
    metrics.count('NewArticles', result.newArticles);
  }
  return result;
}

function countDelivery(metrics: RelayMetrics, result: DeliverBatchResult): DeliverBatchResult {
  if (result.kind === 'attempted') countTally(metrics, result.tally);
  return result;
}

function countTally(metrics: RelayMetrics, tally: DeliveryTally): void {
  metrics.count('DeliveriesDelivered', tally.delivered);
  metrics.count('DeliveriesFailed', tally.failed);
  metrics.count('DeliveriesPending', tally.pending);
}

/** An `ArticlesDiscovered` event as an EventBridge rule hands it to the fan-out queue. */
export function parseDiscoveryEnvelope(body: string): ArticlesDiscovered {
  let envelope: { detail?: Partial<ArticlesDiscovered> };
  try {
    envelope = JSON.parse(body) as typeof envelope;
  } catch (cause) {
    throw new InvalidMessageError('event body is not JSON', { cause });
  }
  const detail = envelope?.detail;
  if (
    !detail ||
    detail.type !== 'ArticlesDiscovered' ||
    typeof detail.eventId !== 'string' ||
    typeof detail.runId !== 'string' ||
    typeof detail.feedId !== 'string' ||
    typeof detail.feedUrl !== 'string' ||
    (detail.feedTitle !== undefined && typeof detail.feedTitle !== 'string') ||
    !Number.isSafeInteger(detail.subscriberShards) ||
    (detail.subscriberShards as number) < 1 ||
    typeof detail.discoveredAt !== 'string' ||
    !Array.isArray(detail.articleIds) ||
    detail.articleIds.length === 0
  ) {
    throw new InvalidMessageError('event is not an ArticlesDiscovered envelope with a complete detail');
  }
  return detail as ArticlesDiscovered;
}
