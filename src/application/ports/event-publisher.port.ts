import type { ArticlesDiscovered } from '../../domain/crawl-run.js';

/** Publishes domain events for whoever listens (EventBridge in AWS, an in-process bus locally). */
export interface EventPublisher {
  publish(events: readonly ArticlesDiscovered[]): Promise<void>;
}
