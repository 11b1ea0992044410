import type { FetchableFeed } from '../domain/feed.js';
import type { SinkDescriptor } from '../domain/subscription.js';
import { InvalidMessageError } from './errors.js';

/**
 * The messages that carry work between invocations, versioned (`v`) and checked on receipt: a malformed
 * message fails alone, with an error that names what is wrong.
 */
export type WorkMessage = ScanFeedsPageMessage | FetchFeedMessage | ScanSubscribersPageMessage | DeliverMessage;
export type WorkMessageType = WorkMessage['type'];

/**
 * One step of one segment of the feed scan: read the page at `cursor` (none: the segment's first page). The
 * table is scanned as `segments` parallel relays (DynamoDB's Segment/TotalSegments).
 */
export interface ScanFeedsPageMessage {
  readonly v: 2;
  readonly type: 'scan-feeds';
  readonly runId: string;
  readonly force: boolean;
  readonly segment: number;
  readonly segments: number;
  readonly page: number;
  readonly cursor?: string;
}

/**
 * A batch of feeds to fetch, each with what its fetch needs (URL, validators, version, recent articles), as
 * the scan read it: a 304 needs no read. `batch` names the message inside its run (`<segment>.<page>.<n>`).
 */
export interface FetchFeedMessage {
  readonly v: 2;
  readonly type: 'fetch-feed';
  readonly runId: string;
  readonly force: boolean;
  readonly batch: string;
  readonly feeds: readonly FetchableFeed[];
}

/** The feed as a fan-out names it in every webhook body, carried so that no step reads the feed table. */
export interface FanOutFeed {
  readonly id: string;
  readonly url: string;
  readonly title?: string;
}

/** One step of a fan-out relay over one shard of one feed's subscribers, for one discovery. */
export interface ScanSubscribersPageMessage {
  readonly v: 2;
  readonly type: 'scan-subscribers';
  readonly runId: string;
  readonly eventId: string;
  readonly feed: FanOutFeed;
  readonly articleIds: readonly string[];
  readonly discoveredAt: string;
  /** The subscriber shard this chain scans, 0..shards-1. */
  readonly shard: number;
  readonly shards: number;
  readonly page: number;
  readonly cursor?: string;
}

/**
 * One subscriber of a delivery batch: what the sink needs, read when its page was scanned. The secrets travel
 * as stored, sealed: a queue message never carries a secret in plain text.
 */
export interface Recipient {
  readonly subscriptionId: string;
  readonly sink: SinkDescriptor;
  /** Webhooks only: the sealed signing secret. */
  readonly secret?: string;
  /** During a rotation's grace: the sealed previous secret, signing too until `previousSecretUntil`. */
  readonly previousSecret?: string;
  readonly previousSecretUntil?: string;
  readonly createdAt: string;
}

/**
 * One page of a fan-out as one message: the page's wanting subscribers, told about the same articles. A retry
 * carries only the recipients that need one, under the same batch key, with `attempt` + 1.
 */
export interface DeliverMessage {
  readonly v: 2;
  readonly type: 'deliver';
  readonly runId: string;
  readonly eventId: string;
  readonly feed: FanOutFeed;
  readonly articleIds: readonly string[];
  /** The batch's key within its discovery: `<shard>.<page>` (`.<part>` appended when a page needed two messages). */
  readonly batch: string;
  readonly attempt: number;
  readonly recipients: readonly Recipient[];
  /** Not to be attempted before this instant (a Retry-After longer than one queue delay). */
  readonly notBefore?: string;
  /**
   * How many of the previous attempt's pending recipients this retry takes over (absent: all it carries). A
   * resumed retry may carry fewer: a subscription removed meanwhile is counted failed.
   */
  readonly carried?: number;
}

/** The version each message type is read in. */
const VERSIONS: Record<WorkMessageType, number> = {
  'scan-feeds': 2,
  'fetch-feed': 2,
  'scan-subscribers': 2,
  deliver: 2,
};

type Check = (value: unknown) => boolean;
const str: Check = (v) => typeof v === 'string' && v.length > 0 && v.length <= 2048;
const optStr: Check = (v) => v === undefined || str(v);
const bool: Check = (v) => typeof v === 'boolean';
const count: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const positive: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 1;
const ids: Check = (v) => Array.isArray(v) && v.length > 0 && v.every(str);
const instant: Check = (v) => str(v) && !Number.isNaN(Date.parse(v as string));
const optInstant: Check = (v) => v === undefined || instant(v);
/** A string of any length up to 64 KiB (the recent-article keys of a long feed). */
const optLongStr: Check = (v) => v === undefined || (typeof v === 'string' && v.length <= 65_536);
const object = (fields: Record<string, Check>): Check => {
  return (v) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.entries(fields).every(([name, check]) => check((v as Record<string, unknown>)[name]));
};
const listOf =
  (item: Check, max: number): Check =>
  (v) =>
    Array.isArray(v) && v.length > 0 && v.length <= max && v.every(item);

/** The most feeds one fetch message carries. */
export const MAX_FEEDS_PER_MESSAGE = 100;

const fetchableFeed = object({
  id: str,
  url: str,
  title: (v) => v === undefined || typeof v === 'string',
  etag: optStr,
  lastModified: optStr,
  nextFetchAt: optInstant,
  errorCount: count,
  version: count,
  seen: optLongStr,
  subscriberShards: (v) => v === undefined || positive(v),
  committed: (v) => v === undefined || v === true,
  seenInTable: (v) => v === undefined || v === true,
});
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fanOutFeed: Check = (v) => isRecord(v) && str(v.id) && str(v.url) && optStr(v.title);
const recipient: Check = (v) =>
  isRecord(v) &&
  str(v.subscriptionId) &&
  isRecord(v.sink) &&
  str(v.sink.kind) &&
  str(v.sink.url) &&
  optStr(v.secret) &&
  optStr(v.previousSecret) &&
  optInstant(v.previousSecretUntil) &&
  instant(v.createdAt);

/** The most recipients one deliver message carries (the largest subscriber page). */
export const MAX_RECIPIENTS = 1000;

const SCHEMAS: Record<WorkMessageType, Record<string, Check>> = {
  'scan-feeds': {
    runId: str,
    force: bool,
    segment: count,
    segments: positive,
    page: count,
    cursor: optStr,
  },
  'fetch-feed': { runId: str, force: bool, batch: str, feeds: listOf(fetchableFeed, MAX_FEEDS_PER_MESSAGE) },
  'scan-subscribers': {
    runId: str,
    eventId: str,
    feed: fanOutFeed,
    articleIds: ids,
    discoveredAt: instant,
    shard: count,
    shards: positive,
    page: count,
    cursor: optStr,
  },
  deliver: {
    runId: str,
    eventId: str,
    feed: fanOutFeed,
    articleIds: ids,
    batch: (v) => str(v) && /^\d+\.\d+(\.\d+)?$/.test(v as string),
    attempt: positive,
    recipients: (v) => Array.isArray(v) && v.length > 0 && v.length <= MAX_RECIPIENTS && v.every(recipient),
    notBefore: (v) => v === undefined || instant(v),
    carried: (v) => v === undefined || count(v),
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
  const type = record.type;
  if (typeof type !== 'string' || !Object.hasOwn(SCHEMAS, type)) {
    if (typeof record.v !== 'number' || record.v < 1 || record.v > 2) {
      throw new InvalidMessageError(`unsupported message version ${JSON.stringify(record.v)}`);
    }
    throw new InvalidMessageError(`unknown message type ${JSON.stringify(type)}`);
  }
  if (record.v !== VERSIONS[type as WorkMessageType]) {
    throw new InvalidMessageError(`unsupported message version ${JSON.stringify(record.v)} for "${type}"`);
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
