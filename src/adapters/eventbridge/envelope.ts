import type { ArticlesDiscovered } from '../../domain/crawl-run.js';
import { DISCOVERY_RULE } from '../aws-resources.js';

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
    'detail-type': DISCOVERY_RULE.detailType,
    source: DISCOVERY_RULE.source,
    time: event.discoveredAt,
    detail: event,
  };
}
