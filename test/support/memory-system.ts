import type { Container } from 'inversify';
import { pino } from 'pino';
import { SummarizeRun } from '../../src/application/use-cases/summarize-run.js';
import type { RelaySettings } from '../../src/application/settings.js';
import type { CrawlRunSummary } from '../../src/domain/crawl-run.js';
import { applicationModule } from '../../src/entrypoints/container/application.module.js';
import { compose } from '../../src/entrypoints/container/compose.js';
import { createMemoryAdapters, memoryModule, type MemoryAdapters } from './memory/memory-module.js';
import { createHandlers, type Handlers } from '../../src/entrypoints/lambda/handlers.js';
import type { DrainOptions, QueueHandler } from './memory/in-memory-queues.js';
import type { PageBudget } from '../../src/adapters/memory/paginate.js';

/**
 * The whole system in memory: the same container modules and Lambda handlers as in AWS, with the in-memory
 * queues standing in for SQS event sources.
 */
export class MemorySystem {
  readonly adapters: MemoryAdapters;
  readonly container: Container;
  readonly handlers: Handlers;

  constructor(options: { settings?: Partial<RelaySettings>; pageBudget?: PageBudget } = {}) {
    this.adapters = createMemoryAdapters({ pageBudget: options.pageBudget });
    this.container = compose(applicationModule(options.settings), memoryModule(this.adapters));
    this.handlers = createHandlers(this.container, pino({ level: 'silent' }));
  }

  get queueHandlers(): Record<string, QueueHandler> {
    return queueHandlersOf(this.handlers);
  }

  /** Starts a run and drives every queue until nothing is left to do; returns the run's summary. */
  async crawl(options: { force?: boolean } & DrainOptions = {}): Promise<CrawlRunSummary> {
    const { runId } = await this.handlers.startCrawl({ force: options.force });
    await this.drain(options);
    return this.summary(runId);
  }

  drain(options: DrainOptions = {}): Promise<void> {
    return this.adapters.queues.drain(this.queueHandlers, options);
  }

  summary(runId: string): Promise<CrawlRunSummary> {
    return this.container.get(SummarizeRun).execute(runId);
  }
}

/** The Lambda handlers by the in-memory queue each one reads, as the SQS event sources would drive them. */
export function queueHandlersOf(h: Handlers): Record<string, QueueHandler> {
  return {
    'scan-feeds': (records) => h.scanFeeds({ Records: records }),
    'fetch-feed': (records) => h.fetchFeed({ Records: records }),
    'start-fan-out': (records) => h.startFanOut({ Records: records }),
    'scan-subscribers': (records) => h.scanSubscribers({ Records: records }),
    deliver: (records) => h.deliver({ Records: records }),
  };
}
