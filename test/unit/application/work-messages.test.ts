import { InvalidMessageError } from '../../../src/application/errors.js';
import { parseWorkMessage, type WorkMessage, type WorkMessageType } from '../../../src/application/work-messages.js';
import {
  aDeliverMessage,
  aFetchFeedMessage,
  aScanFeedsMessage,
  aScanSubscribersMessage,
} from '../../support/mothers.js';

const VALID: Record<WorkMessageType, WorkMessage> = {
  'scan-feeds': aScanFeedsMessage({ page: 3, cursor: 'c1.eyJ2IjoxfQ' }),
  'fetch-feed': aFetchFeedMessage('feed_1', { force: true }),
  'scan-subscribers': aScanSubscribersMessage({ page: 0 }),
  deliver: aDeliverMessage({ attempt: 2 }),
};

function refusal(body: string, expected?: WorkMessageType): InvalidMessageError {
  try {
    parseWorkMessage(body, expected);
  } catch (error) {
    if (error instanceof InvalidMessageError) return error;
    throw error;
  }
  throw new Error(`${body} was accepted`);
}

const withField = (message: WorkMessage, field: string, value: unknown): string =>
  JSON.stringify({ ...message, [field]: value });
const without = (message: WorkMessage, field: string): string => {
  const copy: Record<string, unknown> = { ...message };
  delete copy[field];
  return JSON.stringify(copy);
};

/** For each type: each required field, and values that are malformed for it. */
const FIELDS: [WorkMessageType, string, unknown[]][] = [
  ['scan-feeds', 'runId', ['', 7, null, 'x'.repeat(2049)]],
  ['scan-feeds', 'force', ['true', 1, null]],
  ['scan-feeds', 'page', [-1, 1.5, '0', null, Number.MAX_SAFE_INTEGER + 2]],
  ['scan-feeds', 'segment', [-1, 0.5, '0']],
  ['scan-feeds', 'segments', [0, 1.5, '2']],
  ['fetch-feed', 'runId', ['', 1]],
  ['fetch-feed', 'batch', ['', 1]],
  ['fetch-feed', 'force', ['false', 0]],
  [
    'fetch-feed',
    'feeds',
    [
      [],
      'feed_1',
      [{ id: 'feed_1' }],
      [{ id: 'feed_1', url: 'https://e.x/f', nextFetchAt: 'soon', errorCount: 0, version: 0 }],
      [{ id: 'feed_1', url: 'https://e.x/f', errorCount: 0, version: -1 }],
      Array.from({ length: 101 }, (_, i) => ({ id: `f${i}`, url: 'https://e.x/f', errorCount: 0, version: 0 })),
    ],
  ],
  ['scan-subscribers', 'runId', ['', {}]],
  ['scan-subscribers', 'eventId', ['', 9]],
  ['scan-subscribers', 'feedId', ['', false]],
  ['scan-subscribers', 'articleIds', [[], 'a1', [''], [1], null]],
  ['scan-subscribers', 'discoveredAt', ['', 'yesterday', 1767225600000]],
  ['scan-subscribers', 'page', [-1, 0.5, '1']],
  ['deliver', 'runId', ['', 3]],
  ['deliver', 'notificationId', ['', 3]],
  ['deliver', 'feedId', ['', 3]],
  ['deliver', 'subscriptionId', ['', 3]],
  ['deliver', 'articleIds', [[], ['ok', ''], 'a1']],
  ['deliver', 'attempt', [0, -1, 1.5, '1']],
];

describe('parseWorkMessage', () => {
  it.each(Object.entries(VALID))('reads a valid "%s" message as it was sent', (type, message) => {
    // Act
    const parsed = parseWorkMessage(JSON.stringify(message), type as WorkMessageType);

    // Assess
    expect(parsed).toEqual(message);
  });

  it('reads any valid message when no type is expected', () => {
    for (const message of Object.values(VALID)) expect(parseWorkMessage(JSON.stringify(message))).toEqual(message);
  });

  it('accepts a relay step without a cursor (the first page)', () => {
    expect(parseWorkMessage(JSON.stringify(aScanFeedsMessage()), 'scan-feeds')).toEqual(aScanFeedsMessage());
    const first = aScanSubscribersMessage();
    expect(parseWorkMessage(JSON.stringify(first), 'scan-subscribers')).toEqual(first);
  });

  it.each(['scan-feeds', 'scan-subscribers'] as const)(
    'refuses an empty cursor in a "%s" message, naming it',
    (type) => {
      expect(refusal(withField(VALID[type], 'cursor', ''), type).message).toBe(
        `"${type}" message has a missing or malformed "cursor"`,
      );
    },
  );

  it.each(FIELDS.map(([type, field]) => [type, field] as const))(
    'names the missing field when a "%s" message lacks "%s"',
    (type, field) => {
      // Act
      const error = refusal(without(VALID[type], field), type);

      // Assess
      expect(error.code).toBe('invalid_message');
      expect(error.message).toBe(`"${type}" message has a missing or malformed "${field}"`);
    },
  );

  it.each(FIELDS)('names the malformed field when a "%s" message has a bad "%s"', (type, field, badValues) => {
    for (const bad of badValues) {
      expect(refusal(withField(VALID[type], field, bad), type).message).toBe(
        `"${type}" message has a missing or malformed "${field}"`,
      );
    }
  });

  it.each([
    ['another version', 1, 'unsupported message version 1 for "fetch-feed"'],
    ['a version spelled as a string', '2', 'unsupported message version "2" for "fetch-feed"'],
    ['no version', undefined, 'unsupported message version undefined for "fetch-feed"'],
  ])('refuses %s', (_what, v, message) => {
    expect(refusal(withField(VALID['fetch-feed'], 'v', v)).message).toBe(message);
  });

  it('refuses an unknown type, naming it', () => {
    expect(refusal(withField(VALID['fetch-feed'], 'type', 'crawl-everything')).message).toBe(
      'unknown message type "crawl-everything"',
    );
    expect(refusal(without(VALID['fetch-feed'], 'type')).message).toBe('unknown message type undefined');
  });

  // Bug: `type in SCHEMAS` also finds what every object inherits, so these pass as known types with no fields.
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])(
    'refuses the type %j, which only an object’s prototype knows, as unknown',
    (type) => {
      expect(refusal(JSON.stringify({ v: 1, type })).message).toBe(`unknown message type "${type}"`);
    },
  );

  it('refuses a message of another type than the queue carries, naming both', () => {
    expect(refusal(JSON.stringify(VALID.deliver), 'fetch-feed').message).toBe(
      'expected a "fetch-feed" message, got "deliver"',
    );
  });

  it('refuses a body that is not JSON, keeping the parser error as its cause', () => {
    // Act
    const error = refusal('{"v":1, type: fetch-feed}');

    // Assess
    expect(error.message).toBe('message body is not JSON');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it.each(['[1,2]', 'null', '"fetch-feed"', '42'])('refuses JSON that is not an object: %s', (body) => {
    expect(refusal(body).message).toBe('message body is not a JSON object');
  });
});
