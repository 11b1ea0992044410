import type { Logger } from 'pino';
import { ApplicationError } from '../../application/errors.js';
import { DomainError } from '../../domain/errors.js';

/** The parts of Lambda's SQS event that feedrelay reads. */
export interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
  readonly attributes?: { readonly ApproximateReceiveCount?: string };
}
export interface SqsEvent {
  readonly Records: readonly SqsRecord[];
}
export interface SqsBatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

/**
 * Runs one record at a time through `process`, all records of the batch concurrently, and reports the ones
 * that failed as partial batch failures: a bad record fails alone and comes back (and, in the end, goes to
 * the dead-letter queue); its batch-mates are done.
 */
export function sqsBatchHandler(
  name: string,
  logger: Logger,
  process: (body: string) => Promise<unknown>,
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
    const batchItemFailures: { itemIdentifier: string }[] = [];
    results.forEach((result, index) => {
      if (result.status === 'fulfilled') return;
      const record = event.Records[index]!;
      const error = result.reason as unknown;
      batchItemFailures.push({ itemIdentifier: record.messageId });
      if (error instanceof StepHeldElsewhere) {
        logger.debug(
          { handler: name, messageId: record.messageId },
          `${name}: step held by another invocation, will look again`,
        );
        return;
      }
      const permanent = error instanceof ApplicationError || error instanceof DomainError;
      logger[permanent ? 'error' : 'warn'](
        {
          handler: name,
          messageId: record.messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          err: error,
          ...(permanent ? { code: (error as { code: string }).code } : {}),
        },
        permanent ? `${name}: message rejected: ${(error as Error).message}` : `${name}: message failed, will retry`,
      );
    });
    return { batchItemFailures };
  };
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
