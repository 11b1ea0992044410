import type { ArticlesDiscovered } from '../../domain/crawl-run.js';

export const EVENT_SOURCE = 'feedrelay';
export const ARTICLES_DISCOVERED = 'ArticlesDiscovered';

/** An event as EventBridge hands it to an SQS target: the envelope around the detail. */
export interface EventEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly time: string;
  readonly detail: unknown;
}

export function envelopeOf(event: ArticlesDiscovered, id: string): EventEnvelope {
  return {
    version: '0',
    id,
    'detail-type': ARTICLES_DISCOVERED,
    source: EVENT_SOURCE,
    time: event.discoveredAt,
    detail: event,
  };
}
