import { jest } from '@jest/globals';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CoalescedPuts } from '../../../src/adapters/dynamodb/coalesced-puts.js';

type Item = Record<string, unknown>;

/** A document client that answers BatchWriteItem as told and records what it was sent. */
function fakeClient(answer: (items: Item[], call: number) => Item[] | Error = () => []) {
  const batches: Item[][] = [];
  const doc = {
    send: (command: unknown) => {
      if (!(command instanceof BatchWriteCommand)) throw new Error('only BatchWriteItem is expected');
      const entries = command.input.RequestItems!.articles!;
      const items = entries.map((entry) => entry.PutRequest!.Item as Item);
      batches.push(items);
      const outcome = answer(items, batches.length);
      if (outcome instanceof Error) return Promise.reject(outcome);
      return Promise.resolve({
        UnprocessedItems: outcome.length ? { articles: outcome.map((Item) => ({ PutRequest: { Item } })) } : {},
      });
    },
  } as unknown as DynamoDBDocumentClient;
  return { doc, batches };
}

const keyOf = (item: Item) => String(item.key);
const item = (key: string, value = key): Item => ({ key, value });

describe('CoalescedPuts', () => {
  it('sends the puts made within the window as one BatchWriteItem, and settles each caller', async () => {
    // Prepare
    const { doc, batches } = fakeClient();
    const puts = new CoalescedPuts(doc, 'articles', keyOf, 5);

    // Act
    await Promise.all(['a', 'b', 'c'].map((key) => puts.put(item(key))));

    // Assess
    expect(batches).toEqual([[item('a'), item('b'), item('c')]]);
  });

  it('sends at most 25 items per request, the 25th sending at once', async () => {
    jest.useFakeTimers();
    try {
      const { doc, batches } = fakeClient();
      const puts = new CoalescedPuts(doc, 'articles', keyOf, 60_000);

      // No time passes: the 25 are written because the 25th sent them.
      await Promise.all(Array.from({ length: 25 }, (_, i) => puts.put(item(`k${i}`))));
      const late = puts.put(item('late'));
      expect(batches.map((batch) => batch.length)).toEqual([25]);

      // The 26th waits for its own window, then goes alone.
      await jest.advanceTimersByTimeAsync(60_000);
      await late;
      expect(batches.map((batch) => batch.length)).toEqual([25, 1]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('turns two puts of one key into one item (the later wins), telling both callers', async () => {
    const { doc, batches } = fakeClient();
    const puts = new CoalescedPuts(doc, 'articles', keyOf, 5);

    await Promise.all([puts.put(item('a', 'first')), puts.put(item('b')), puts.put(item('a', 'second'))]);

    expect(batches).toEqual([[item('a', 'second'), item('b')]]);
  });

  it('sends again the items DynamoDB left unprocessed', async () => {
    const { doc, batches } = fakeClient((items, call) => (call === 1 ? items.slice(1) : []));
    const puts = new CoalescedPuts(doc, 'articles', keyOf, 5);

    await Promise.all(['a', 'b'].map((key) => puts.put(item(key))));

    expect(batches).toEqual([[item('a'), item('b')], [item('b')]]);
  });

  it('fails every caller of a batch that failed, and takes new puts afterwards', async () => {
    const { doc, batches } = fakeClient((_items, call) => (call === 1 ? new Error('throttled for good') : []));
    const puts = new CoalescedPuts(doc, 'articles', keyOf, 5);

    const outcomes = await Promise.allSettled(['a', 'b'].map((key) => puts.put(item(key))));
    await puts.put(item('c'));

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({
      message: expect.stringContaining('throttled for good'),
    });
    expect(batches).toEqual([[item('a'), item('b')], [item('c')]]);
  });
});
