import type { HandlerExecutionContext, MiddlewareStack } from '@smithy/types';

/** Requests counted per `<service>.<Operation>`, e.g. `dynamodb.Query`, `sqs.SendMessageBatch`. */
export interface AwsRequestCounts {
  readonly total: number;
  readonly byOperation: Readonly<Record<string, number>>;
}

/** Read and write capacity units consumed, as DynamoDB bills them (by item size). */
export interface CapacityUnits {
  readonly read: number;
  readonly write: number;
}

/**
 * Counts the requests that AWS clients put on the wire, by service and operation: what a crawl summary's
 * `awsRequests` reports. Shared by every client of a stack; `reset()` starts a new tally. It also sums the
 * DynamoDB capacity units the table reports consuming (`capacityUnits()`), which the benchmark prices.
 */
export class AwsRequestCounter {
  private readonly counts = new Map<string, number>();
  private readonly units = new Map<string, { read: number; write: number }>();
  private sqsChunks = 0;
  private eventChunks = 0;
  private meteringCapacity = false;

  /**
   * Whether DynamoDB requests are asked for the capacity they consume from now on (off by default: it makes the
   * embedded DynamoDB compute every item's size, work a crawl does not need).
   */
  meterCapacity(on: boolean): void {
    this.meteringCapacity = on;
  }

  get metersCapacity(): boolean {
    return this.meteringCapacity;
  }

  record(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  recordCapacity(table: string, kind: keyof CapacityUnits, units: number): void {
    const tally = this.units.get(table) ?? { read: 0, write: 0 };
    tally[kind] += units;
    this.units.set(table, tally);
  }

  recordSqsPayload(bytes: number): void {
    this.sqsChunks += billedChunks(bytes);
  }

  recordEventPayloads(entryBytes: readonly number[]): void {
    for (const bytes of entryBytes) this.eventChunks += billedChunks(bytes);
  }

  /**
   * The events published since the last `reset()` as EventBridge bills them: each 64 KB chunk of each entry of
   * a `PutEvents` counts as one event.
   */
  billedEvents(): number {
    return this.eventChunks;
  }

  /**
   * The SQS send requests since the last `reset()` as SQS bills them: each 64 KB chunk of a request's payload
   * counts as one request.
   */
  sqsBilledSends(): number {
    return this.sqsChunks;
  }

  /** DynamoDB capacity units consumed since the last `reset()`, by table. */
  capacityUnits(): Record<string, CapacityUnits> {
    return Object.fromEntries([...this.units].sort(([a], [b]) => a.localeCompare(b)).map(([t, u]) => [t, { ...u }]));
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
    this.units.clear();
    this.sqsChunks = 0;
    this.eventChunks = 0;
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
 * SQS bills a request per 64 KB chunk of a send's payload, EventBridge an event per 64 KB chunk of each entry:
 * what is billed for `bytes`, one at least.
 */
const billedChunks = (bytes: number): number => Math.max(1, Math.ceil(bytes / (64 * 1024)));

/**
 * The bytes of each event of a `PutEvents` (its entries' details), or of the SQS send that stands in for it on
 * the embedded stack (its entries' bodies).
 */
function eventEntryBytes(input: { Entries?: { Detail?: string; MessageBody?: string }[] }): number[] {
  return (input.Entries ?? []).map((entry) => Buffer.byteLength(entry.Detail ?? entry.MessageBody ?? ''));
}

/** The bytes SQS counts of a send: message bodies and attributes (names, types and values). */
function sqsPayloadBytes(input: {
  MessageBody?: string;
  Entries?: { MessageBody?: string; MessageAttributes?: object }[];
  MessageAttributes?: object;
}): number {
  const bytes = (text: string | undefined) => Buffer.byteLength(text ?? '');
  const attributes = (map: object | undefined) => bytes(JSON.stringify(map ?? {})) - 2;
  if (input.Entries) {
    return input.Entries.reduce((sum, e) => sum + bytes(e.MessageBody) + attributes(e.MessageAttributes), 0);
  }
  return bytes(input.MessageBody) + attributes(input.MessageAttributes);
}

/** The DynamoDB operations that can report the capacity they consume, and which kind they consume. */
const METERED: Readonly<Record<string, keyof CapacityUnits>> = {
  GetItem: 'read',
  BatchGetItem: 'read',
  Query: 'read',
  Scan: 'read',
  TransactGetItems: 'read',
  PutItem: 'write',
  UpdateItem: 'write',
  DeleteItem: 'write',
  BatchWriteItem: 'write',
  TransactWriteItems: 'write',
};

interface ConsumedCapacity {
  readonly TableName?: string;
  readonly CapacityUnits?: number;
}

/**
 * Adds the counting middleware to a client's stack. It sits in the deserialize step, inside the retry loop
 * and after any fault injection, so it sees each attempt that is actually sent: a request the SDK retries
 * counts once per attempt; an attempt failed before sending (an injected fault) does not count. SQS sends are
 * also measured in the 64 KB chunks SQS bills. While the counter meters capacity (`meterCapacity(true)`), each
 * DynamoDB request is also asked for the capacity it consumes (`ReturnConsumedCapacity: TOTAL`, by item size, as
 * DynamoDB bills it), which is added up by table.
 */
export function countRequests<I extends object, O extends object>(
  stack: MiddlewareStack<I, O>,
  counter: AwsRequestCounter,
): void {
  meterCapacity(stack, counter);
  stack.add(
    (next, context: CountingContext) => async (args) => {
      const as = context[COUNT_AS];
      const operation = as ?? operationName(context.clientName, context.commandName);
      if (as !== null) counter.record(operation);
      if (as === undefined && (operation === 'sqs.SendMessage' || operation === 'sqs.SendMessageBatch')) {
        counter.recordSqsPayload(sqsPayloadBytes(args.input as Parameters<typeof sqsPayloadBytes>[0]));
      }
      if (operation === 'eventbridge.PutEvents') {
        counter.recordEventPayloads(eventEntryBytes(args.input as Parameters<typeof eventEntryBytes>[0]));
      }
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

/** Asks each metered DynamoDB request for the capacity it consumes, and adds it to the counter by table. */
function meterCapacity<I extends object, O extends object>(
  stack: MiddlewareStack<I, O>,
  counter: AwsRequestCounter,
): void {
  stack.add(
    (next, context: CountingContext) => async (args) => {
      const kind =
        context.clientName === 'DynamoDBClient'
          ? METERED[(context.commandName ?? '').replace(/Command$/, '')]
          : undefined;
      if (kind === undefined || !counter.metersCapacity) return next(args);
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity ??= 'TOTAL';
      const result = await next(args);
      if (context[COUNT_AS] === null) return result;
      const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
      for (const entry of [consumed ?? []].flat()) {
        if (entry.TableName && entry.CapacityUnits) counter.recordCapacity(entry.TableName, kind, entry.CapacityUnits);
      }
      return result;
    },
    { step: 'initialize', priority: 'low', name: 'feedrelayCapacityCounter', override: true },
  );
}
