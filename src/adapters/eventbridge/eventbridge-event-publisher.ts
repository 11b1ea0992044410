import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { inject, injectable } from 'inversify';
import { sendWithRetries, type BackoffPolicy } from '../../application/retry.js';
import type { EventPublisher } from '../../application/ports/event-publisher.port.js';
import type { ArticlesDiscovered } from '../../domain/crawl-run.js';
import { DISCOVERY_RULE } from '../aws-resources.js';
import { byteLength, chunkBySize } from '../sqs/chunk-by-size.js';
import { PublishFailedError } from './errors.js';
import { EVENT_BUS_NAME, EVENTBRIDGE_CLIENT } from './tokens.js';

/** PutEvents takes at most 10 entries and 256 KiB per call. */
const MAX_ENTRIES = 10;
const MAX_BYTES = 256 * 1024;
/** Entries EventBridge fails are published again twice, after about 100 ms and 200 ms. */
const RETRIES: BackoffPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 };

/** The size EventBridge counts for an entry: source, detail-type, detail, resources and 14 bytes for a time. */
function entrySize(entry: PutEventsRequestEntry): number {
  return (
    (entry.Time ? 14 : 0) +
    byteLength(entry.Source ?? '') +
    byteLength(entry.DetailType ?? '') +
    byteLength(entry.Detail ?? '') +
    (entry.Resources ?? []).reduce((sum, r) => sum + byteLength(r), 0)
  );
}

/**
 * Publishes discoveries to the event bus under the source and detail-type the discovery rule matches, at most
 * 10 a call; entries EventBridge fails are published again a few times, then named in the error.
 */
@injectable()
export class EventBridgeEventPublisher implements EventPublisher {
  constructor(
    @inject(EVENTBRIDGE_CLIENT) private readonly events: EventBridgeClient,
    @inject(EVENT_BUS_NAME) private readonly eventBusName: string,
  ) {}

  async publish(events: readonly ArticlesDiscovered[]): Promise<void> {
    const entries = events.map((event) => ({
      eventId: event.eventId,
      entry: {
        EventBusName: this.eventBusName,
        Source: DISCOVERY_RULE.source,
        DetailType: DISCOVERY_RULE.detailType,
        Detail: JSON.stringify(event),
        Time: new Date(event.discoveredAt),
      } satisfies PutEventsRequestEntry,
    }));
    const chunks = chunkBySize(
      entries,
      (e) => entrySize(e.entry),
      MAX_ENTRIES,
      MAX_BYTES,
      (e) => `the event ${e.eventId}`,
    );
    for (const chunk of chunks) await this.put(chunk);
  }

  private async put(chunk: readonly { eventId: string; entry: PutEventsRequestEntry }[]): Promise<void> {
    let failures: string[] = [];
    const left = await sendWithRetries(chunk, RETRIES, async (pending) => {
      let results;
      try {
        results =
          (await this.events.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) }))).Entries ?? [];
      } catch (cause) {
        const ids = pending.map((p) => p.eventId);
        throw new PublishFailedError(`could not publish ${ids.length} event(s): ${(cause as Error).message}`, ids, {
          cause,
        });
      }
      // Result entries line up with the request's: one without an ErrorCode was published.
      failures = [];
      return pending.filter((p, index) => {
        const result = results[index];
        if (result && !result.ErrorCode && result.EventId) return false;
        failures.push(`${p.eventId} (${result?.ErrorCode ?? 'no result'}: ${result?.ErrorMessage ?? 'no message'})`);
        return true;
      });
    });
    if (left.length > 0) {
      throw new PublishFailedError(
        `${left.length} of ${chunk.length} event(s) could not be published after ${RETRIES.maxAttempts} attempts: ${failures.join('; ')}`,
        failures,
      );
    }
  }
}
