import type { Container } from 'inversify';
import type { Logger } from 'pino';
import { InvalidMessageError } from '../../application/errors.js';
import { FetchFeeds } from '../../application/use-cases/fetch-feeds.js';
import { DeliverBatch } from '../../application/use-cases/deliver-batch.js';
import { ScanFeedsPage } from '../../application/use-cases/scan-feeds-page.js';
import { ScanSubscribersPage } from '../../application/use-cases/scan-subscribers-page.js';
import { StartCrawlRun } from '../../application/use-cases/start-crawl-run.js';
import { StartFanOut } from '../../application/use-cases/start-fan-out.js';
import {
  parseWorkMessage,
  type DeliverMessage,
  type FetchFeedMessage,
  type ScanFeedsPageMessage,
  type ScanSubscribersPageMessage,
} from '../../application/work-messages.js';
import type { ArticlesDiscovered } from '../../domain/crawl-run.js';
import { sqsBatchHandler, type SqsBatchResponse, type SqsEvent } from './sqs-batch.js';

export type SqsHandler = (event: SqsEvent) => Promise<SqsBatchResponse>;

/** The Lambda handlers, one per message type; the same functions run in AWS, on the embedded stack and in tests. */
export interface Handlers {
  /** The schedule's target: starts a crawl run. */
  startCrawl(event?: { force?: boolean }): Promise<{ runId: string; started: boolean }>;
  scanFeeds: SqsHandler;
  fetchFeed: SqsHandler;
  startFanOut: SqsHandler;
  scanSubscribers: SqsHandler;
  deliver: SqsHandler;
}

export function createHandlers(container: Container, logger: Logger): Handlers {
  const scanFeeds = container.get(ScanFeedsPage);
  const fetchFeed = container.get(FetchFeeds);
  const startFanOut = container.get(StartFanOut);
  const scanSubscribers = container.get(ScanSubscribersPage);
  const deliver = container.get(DeliverBatch);
  const startCrawl = container.get(StartCrawlRun);

  return {
    async startCrawl(event) {
      const { run, started } = await startCrawl.execute({ force: event?.force === true });
      if (started) logger.info({ runId: run.id, force: run.force, segments: run.segments }, 'crawl run started');
      else logger.info({ runId: run.id }, 'crawl run not started: the last run is still going');
      return { runId: run.id, started };
    },
    scanFeeds: sqsBatchHandler('scan-feeds', logger, async (body) =>
      scanFeeds.execute(parseWorkMessage(body, 'scan-feeds') as ScanFeedsPageMessage),
    ),
    fetchFeed: sqsBatchHandler('fetch-feed', logger, async (body) =>
      fetchFeed.execute(parseWorkMessage(body, 'fetch-feed') as FetchFeedMessage),
    ),
    startFanOut: sqsBatchHandler('start-fan-out', logger, async (body) =>
      startFanOut.execute(parseDiscoveryEnvelope(body)),
    ),
    scanSubscribers: sqsBatchHandler('scan-subscribers', logger, async (body) =>
      scanSubscribers.execute(parseWorkMessage(body, 'scan-subscribers') as ScanSubscribersPageMessage),
    ),
    deliver: sqsBatchHandler('deliver', logger, async (body) =>
      deliver.execute(parseWorkMessage(body, 'deliver') as DeliverMessage),
    ),
  };
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
