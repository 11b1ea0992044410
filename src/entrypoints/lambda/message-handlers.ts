import type { Logger } from 'pino';
import { InvalidMessageError } from '../../application/errors.js';
import type { DeadLetterSink } from '../../application/ports/dead-letters.port.js';
import type { DeliverBatch } from '../../application/use-cases/deliver-batch.js';
import type { FetchFeeds } from '../../application/use-cases/fetch-feeds.js';
import type { ScanFeedsPage } from '../../application/use-cases/scan-feeds-page.js';
import type { ScanSubscribersPage } from '../../application/use-cases/scan-subscribers-page.js';
import type { StartCrawlRun } from '../../application/use-cases/start-crawl-run.js';
import type { StartFanOut } from '../../application/use-cases/start-fan-out.js';
import {
  parseWorkMessage,
  type DeliverMessage,
  type FetchFeedMessage,
  type ScanFeedsPageMessage,
  type ScanSubscribersPageMessage,
} from '../../application/work-messages.js';
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

export type StartCrawlHandler = (event?: { force?: boolean }) => Promise<{ runId: string; started: boolean }>;

export function startCrawlHandler(startCrawl: StartCrawlRun, logger: Logger): StartCrawlHandler {
  return async (event) => {
    const { run, started } = await startCrawl.execute({ force: event?.force === true });
    if (started) logger.info({ runId: run.id, force: run.force, segments: run.segments }, 'crawl run started');
    else logger.info({ runId: run.id }, 'crawl run not started: the last run is still going');
    return { runId: run.id, started };
  };
}

export function scanFeedsHandler(scanFeeds: ScanFeedsPage, logger: Logger, deadLetters?: DeadLetterSink): SqsHandler {
  return sqsBatchHandler(
    'scan-feeds',
    logger,
    async (body) => scanFeeds.execute(parseWorkMessage(body, 'scan-feeds') as ScanFeedsPageMessage),
    policyFor('scanFeeds', deadLetters),
  );
}

export function fetchFeedHandler(fetchFeed: FetchFeeds, logger: Logger, deadLetters?: DeadLetterSink): SqsHandler {
  return sqsBatchHandler(
    'fetch-feed',
    logger,
    async (body) => fetchFeed.execute(parseWorkMessage(body, 'fetch-feed') as FetchFeedMessage),
    policyFor('fetchFeed', deadLetters),
  );
}

export function startFanOutHandler(startFanOut: StartFanOut, logger: Logger, deadLetters?: DeadLetterSink): SqsHandler {
  return sqsBatchHandler(
    'start-fan-out',
    logger,
    async (body) => startFanOut.execute(parseDiscoveryEnvelope(body)),
    policyFor('startFanOut', deadLetters),
  );
}

export function scanSubscribersHandler(
  scanSubscribers: ScanSubscribersPage,
  logger: Logger,
  deadLetters?: DeadLetterSink,
): SqsHandler {
  return sqsBatchHandler(
    'scan-subscribers',
    logger,
    async (body) => scanSubscribers.execute(parseWorkMessage(body, 'scan-subscribers') as ScanSubscribersPageMessage),
    policyFor('scanSubscribers', deadLetters),
  );
}

export function deliverHandler(deliver: DeliverBatch, logger: Logger, deadLetters?: DeadLetterSink): SqsHandler {
  return sqsBatchHandler(
    'deliver',
    logger,
    async (body) => deliver.execute(parseWorkMessage(body, 'deliver') as DeliverMessage),
    policyFor('deliver', deadLetters),
  );
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
