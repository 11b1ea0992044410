import type { HandlerExecutionContext, MiddlewareStack } from '@smithy/types';

/** Requests counted per `<service>.<Operation>`, e.g. `dynamodb.Query`, `sqs.SendMessageBatch`. */
export interface AwsRequestCounts {
  readonly total: number;
  readonly byOperation: Readonly<Record<string, number>>;
}

/**
 * Counts the requests that AWS clients put on the wire, by service and operation: what a crawl summary's
 * `awsRequests` reports. Shared by every client of a stack; `reset()` starts a new tally.
 */
export class AwsRequestCounter {
  private readonly counts = new Map<string, number>();

  record(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  snapshot(): AwsRequestCounts {
    const byOperation: Record<string, number> = {};
    let total = 0;
    for (const [operation, count] of [...this.counts].sort(([a], [b]) => a.localeCompare(b))) {
      byOperation[operation] = count;
      total += count;
    }
    return { total, byOperation };
  }

  reset(): void {
    this.counts.clear();
  }
}

/** The context key under which a command may ask to be counted under another name (or, with `null`, not at all). */
const COUNT_AS = 'feedrelayCountAs';

type CountingContext = HandlerExecutionContext & { [COUNT_AS]?: string | null };

/** `('SQSClient', 'SendMessageBatchCommand')` → `sqs.SendMessageBatch`. */
export function operationName(clientName: string | undefined, commandName: string | undefined): string {
  const service = (clientName ?? 'unknown').replace(/Client$/, '').toLowerCase();
  const operation = (commandName ?? 'Unknown').replace(/Command$/, '');
  return `${service}.${operation}`;
}

/**
 * Adds the counting middleware to a client's stack. It sits in the deserialize step, inside the retry loop
 * and after any fault injection, so it sees each attempt that is actually sent: a request the SDK retries
 * counts once per attempt; an attempt failed before sending (an injected fault) does not count.
 */
export function countRequests<I extends object, O extends object>(
  stack: MiddlewareStack<I, O>,
  counter: AwsRequestCounter,
): void {
  stack.add(
    (next, context: CountingContext) => async (args) => {
      const as = context[COUNT_AS];
      if (as !== null) counter.record(as ?? operationName(context.clientName, context.commandName));
      return next(args);
    },
    { step: 'deserialize', priority: 'low', name: 'feedrelayRequestCounter', override: true },
  );
}

/**
 * Makes one command count under another operation name (`eventbridge.PutEvents` for the SQS send that stands
 * in for EventBridge's routing on the embedded stack), or not at all with `null`. Takes the command's own
 * middleware stack: `countAs(command.middlewareStack, 'eventbridge.PutEvents')`.
 */
export function countAs<I extends object, O extends object>(
  commandStack: MiddlewareStack<I, O>,
  operation: string | null,
): void {
  commandStack.add(
    (next, context: CountingContext) => async (args) => {
      context[COUNT_AS] = operation;
      return next(args);
    },
    { step: 'initialize', priority: 'high' },
  );
}
