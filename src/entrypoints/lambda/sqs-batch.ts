import type { SQSBatchResponse, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import type { Logger } from 'pino';
import type { DeadLetterSink } from '../../application/ports/dead-letters.port.js';
import { FeedrelayError } from '../../domain/errors.js';

/**
 * The parts of Lambda's SQS event (`SQSRecord` of `@types/aws-lambda`) that feedrelay reads: a real event is one,
 * and the local runtime builds no more than these.
 */
export type SqsRecord = Pick<SQSRecord, 'messageId' | 'body'> & {
  readonly attributes?: Partial<Pick<SQSRecordAttributes, 'ApproximateReceiveCount' | 'SentTimestamp'>>;
};
export interface SqsEvent {
  readonly Records: readonly SqsRecord[];
}
export type SqsBatchResponse = SQSBatchResponse;

/** Where a handler parks the messages it gives up on, and when it gives up. */
export interface DeadLetterPolicy {
  readonly deadLetters: DeadLetterSink;
  /**
   * The queue's `maxReceiveCount`: a message that fails on its last receive is parked with the error as its
   * reason rather than left for the queue's redrive policy, which would move it with no reason at all.
   */
  readonly maxReceiveCount: number;
}

/**
 * Runs one record at a time through `process`, all records of the batch concurrently, and reports the ones
 * that failed as partial batch failures: a bad record fails alone; its batch-mates are done.
 *
 * With a dead-letter policy, a record that can never succeed (a `FeedrelayError` marked `permanent`: bad
 * JSON, an unknown version, a failed check, a relay past its bound) is parked in the dead-letter queue at
 * once, with its reason, and acknowledged; so is a record that fails on its last receive. Each is one log
 * line at error level naming handler, queue, message id and reason. Should parking fail, the record fails
 * as before and the queue's redrive policy moves it after `maxReceiveCount` receives.
 */
export function sqsBatchHandler(
  name: string,
  logger: Logger,
  process: (body: string) => Promise<unknown>,
  policy?: DeadLetterPolicy,
): (event: SqsEvent) => Promise<SqsBatchResponse> {
  return async (event) => {
    const results = await Promise.allSettled(
      event.Records.map(async (record) => {
        const result = await process(record.body);
        // Another invocation holds this step. Deleting this copy would delete the message for the holder too
        // (SQS has one message behind both receipts), so it comes back later and finds the step done or free.
        if (isHeldElsewhere(result)) throw new StepHeldElsewhere();
        return result;
      }),
    );
    const failures = await Promise.all(
      results.map(async (result, index) => {
        if (result.status === 'fulfilled') return undefined;
        const record = event.Records[index]!;
        return (await failed(name, logger, record, result.reason, policy)) ? record.messageId : undefined;
      }),
    );
    return {
      batchItemFailures: failures.filter((id) => id !== undefined).map((itemIdentifier) => ({ itemIdentifier })),
    };
  };
}

/** Logs a failed record and parks it when the policy says so; answers whether it is to come back. */
async function failed(
  name: string,
  logger: Logger,
  record: SqsRecord,
  error: unknown,
  policy: DeadLetterPolicy | undefined,
): Promise<boolean> {
  const messageId = record.messageId;
  if (error instanceof StepHeldElsewhere) {
    logger.debug({ handler: name, messageId }, `${name}: step held by another invocation, will look again`);
    return true;
  }
  const permanent = error instanceof FeedrelayError && error.permanent;
  const receives = Number(record.attributes?.ApproximateReceiveCount ?? '1');
  const code = permanent ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const lastReceive = policy !== undefined && receives >= policy.maxReceiveCount;
  if (policy && (permanent || lastReceive)) {
    const reason = permanent ? `${code}: ${message}` : `failed ${receives} times, last: ${message}`;
    try {
      await policy.deadLetters.park({
        queue: name,
        messageId,
        body: record.body,
        reason,
        firstSeenAt: firstSeenAt(record),
      });
      logger.error(
        { handler: name, queue: name, messageId, reason, receiveCount: receives, ...(code ? { code } : {}) },
        `${name}: message ${messageId} dead-lettered: ${reason}`,
      );
      return false;
    } catch (parkError) {
      logger.error(
        { handler: name, queue: name, messageId, reason, err: parkError },
        `${name}: message ${messageId} could not be dead-lettered (${(parkError as Error).message}); it fails and comes back`,
      );
      return true;
    }
  }
  logger[permanent ? 'error' : 'warn'](
    {
      handler: name,
      queue: name,
      messageId,
      receiveCount: record.attributes?.ApproximateReceiveCount,
      err: error,
      ...(code ? { code } : {}),
    },
    permanent ? `${name}: message rejected: ${message}` : `${name}: message failed, will retry`,
  );
  return true;
}

/** When the message was first sent, from the record's `SentTimestamp` (epoch ms); now when it has none. */
function firstSeenAt(record: SqsRecord): string {
  const sent = Number(record.attributes?.SentTimestamp);
  return new Date(Number.isFinite(sent) && sent > 0 ? sent : Date.now()).toISOString();
}

class StepHeldElsewhere extends Error {
  constructor() {
    super('the step is held by another invocation');
    this.name = 'StepHeldElsewhere';
  }
}

function isHeldElsewhere(result: unknown): boolean {
  const value = result as { kind?: unknown; reason?: unknown } | undefined;
  return value?.kind === 'skipped' && value.reason === 'busy';
}
