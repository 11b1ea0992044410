import { InvalidMessageError } from './errors.js';

/**
 * The messages that carry work between invocations, versioned (`v`) and checked on receipt: a malformed
 * message fails alone, with an error that names what is wrong.
 */
export type WorkMessage = ScanFeedsPageMessage | FetchFeedMessage | ScanSubscribersPageMessage | DeliverMessage;
export type WorkMessageType = WorkMessage['type'];

/** One step of the feed scan relay: read the page at `cursor` (none: the first page). */
export interface ScanFeedsPageMessage {
  readonly v: 1;
  readonly type: 'scan-feeds';
  readonly runId: string;
  readonly force: boolean;
  readonly page: number;
  readonly cursor?: string;
}

export interface FetchFeedMessage {
  readonly v: 1;
  readonly type: 'fetch-feed';
  readonly runId: string;
  readonly feedId: string;
  readonly force: boolean;
}

/** One step of a fan-out relay over one feed's subscribers, for one discovery. */
export interface ScanSubscribersPageMessage {
  readonly v: 1;
  readonly type: 'scan-subscribers';
  readonly runId: string;
  readonly eventId: string;
  readonly feedId: string;
  readonly articleIds: readonly string[];
  readonly discoveredAt: string;
  readonly page: number;
  readonly cursor?: string;
}

export interface DeliverMessage {
  readonly v: 1;
  readonly type: 'deliver';
  readonly runId: string;
  readonly notificationId: string;
  readonly feedId: string;
  readonly subscriptionId: string;
  readonly articleIds: readonly string[];
  readonly attempt: number;
  /** Not to be attempted before this instant (a Retry-After longer than one queue delay). */
  readonly notBefore?: string;
}

type Check = (value: unknown) => boolean;
const str: Check = (v) => typeof v === 'string' && v.length > 0 && v.length <= 2048;
const optStr: Check = (v) => v === undefined || str(v);
const bool: Check = (v) => typeof v === 'boolean';
const count: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const positive: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 1;
const ids: Check = (v) => Array.isArray(v) && v.length > 0 && v.every(str);
const instant: Check = (v) => str(v) && !Number.isNaN(Date.parse(v as string));

const SCHEMAS: Record<WorkMessageType, Record<string, Check>> = {
  'scan-feeds': { runId: str, force: bool, page: count, cursor: optStr },
  'fetch-feed': { runId: str, feedId: str, force: bool },
  'scan-subscribers': {
    runId: str,
    eventId: str,
    feedId: str,
    articleIds: ids,
    discoveredAt: instant,
    page: count,
    cursor: optStr,
  },
  deliver: {
    runId: str,
    notificationId: str,
    feedId: str,
    subscriptionId: str,
    articleIds: ids,
    attempt: positive,
    notBefore: (v) => v === undefined || instant(v),
  },
};

/** Parses and checks a message body; throws `InvalidMessageError` naming the first problem. */
export function parseWorkMessage(body: string, expected?: WorkMessageType): WorkMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new InvalidMessageError('message body is not JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidMessageError('message body is not a JSON object');
  }
  const record = value as Record<string, unknown>;
  if (record.v !== 1) throw new InvalidMessageError(`unsupported message version ${JSON.stringify(record.v)}`);
  const type = record.type;
  if (typeof type !== 'string' || !Object.hasOwn(SCHEMAS, type)) {
    throw new InvalidMessageError(`unknown message type ${JSON.stringify(type)}`);
  }
  if (expected && type !== expected) {
    throw new InvalidMessageError(`expected a "${expected}" message, got "${type}"`);
  }
  for (const [field, check] of Object.entries(SCHEMAS[type as WorkMessageType])) {
    if (!check(record[field])) {
      throw new InvalidMessageError(`"${type}" message has a missing or malformed "${field}"`);
    }
  }
  return record as unknown as WorkMessage;
}
