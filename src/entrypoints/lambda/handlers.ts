import type { Container } from 'inversify';
import type { Logger } from 'pino';
import { FetchFeeds } from '../../application/use-cases/fetch-feeds.js';
import { DeliverBatch } from '../../application/use-cases/deliver-batch.js';
import { ScanFeedsPage } from '../../application/use-cases/scan-feeds-page.js';
import { ScanSubscribersPage } from '../../application/use-cases/scan-subscribers-page.js';
import { StartCrawlRun } from '../../application/use-cases/start-crawl-run.js';
import { StartFanOut } from '../../application/use-cases/start-fan-out.js';
import { TOKENS } from '../../application/tokens.js';
import { InMemoryRelayMetrics } from '../../adapters/memory/in-memory-relay-metrics.js';
import {
  deliverHandler,
  fetchFeedHandler,
  scanFeedsHandler,
  scanSubscribersHandler,
  startCrawlHandler,
  startFanOutHandler,
  type SqsHandler,
  type StartCrawlHandler,
} from './message-handlers.js';

export { parseDiscoveryEnvelope, type SqsHandler } from './message-handlers.js';

/** The Lambda handlers, one per message type; the same functions run in AWS, on the embedded stack and in tests. */
export interface Handlers {
  /** The schedule's target: starts a crawl run. */
  startCrawl: StartCrawlHandler;
  scanFeeds: SqsHandler;
  fetchFeed: SqsHandler;
  startFanOut: SqsHandler;
  scanSubscribers: SqsHandler;
  deliver: SqsHandler;
}

/**
 * Every handler from one container that binds every use case: for the embedded stack and the tests. A Lambda
 * entry builds only its own (see `scan-feeds.ts` and its siblings), so that its bundle holds nothing else.
 * When the container binds the dead letters, the queue handlers park what can never succeed there at once.
 * The handlers count into the container's relay metrics, or into totals in memory when it binds none.
 */
export function createHandlers(container: Container, logger: Logger): Handlers {
  const deadLetters = container.isBound(TOKENS.DeadLetters) ? container.get(TOKENS.DeadLetters) : undefined;
  const metrics = container.isBound(TOKENS.RelayMetrics)
    ? container.get(TOKENS.RelayMetrics)
    : new InMemoryRelayMetrics();
  return {
    startCrawl: startCrawlHandler(container.get(StartCrawlRun), logger, metrics),
    scanFeeds: scanFeedsHandler(container.get(ScanFeedsPage), logger, deadLetters, metrics),
    fetchFeed: fetchFeedHandler(container.get(FetchFeeds), logger, deadLetters, metrics),
    startFanOut: startFanOutHandler(container.get(StartFanOut), logger, deadLetters, metrics),
    scanSubscribers: scanSubscribersHandler(container.get(ScanSubscribersPage), logger, deadLetters, metrics),
    deliver: deliverHandler(container.get(DeliverBatch), logger, deadLetters, metrics),
  };
}
