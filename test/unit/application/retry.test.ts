import { describe, expect, it } from '@jest/globals';
import { backoffMs, sendWithRetries, type BackoffPolicy } from '../../../src/application/retry.js';

const QUICK: BackoffPolicy = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 4 };

describe('backoffMs', () => {
  const policy: BackoffPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 2_000 };

  it('doubles from the base delay, attempt after attempt, up to the cap', () => {
    const upper = (attempt: number) => backoffMs(attempt, policy, () => 1);
    expect([2, 3, 4, 5, 6, 7, 8].map(upper)).toEqual([100, 200, 400, 800, 1_600, 2_000, 2_000]);
  });

  it('jitters over the upper half of each wait', () => {
    expect(backoffMs(3, policy, () => 0)).toBe(100);
    expect(backoffMs(3, policy, () => 0.5)).toBe(150);
  });
});

describe('sendWithRetries', () => {
  it('sends once when everything got through', async () => {
    const sent: string[][] = [];
    const left = await sendWithRetries(['a', 'b'], QUICK, async (pending) => {
      sent.push([...pending]);
      return [];
    });
    expect(sent).toEqual([['a', 'b']]);
    expect(left).toEqual([]);
  });

  it('sends again only what was left undone, numbering the attempts', async () => {
    const attempts: [number, string[]][] = [];
    const left = await sendWithRetries(['a', 'b', 'c'], QUICK, async (pending, attempt) => {
      attempts.push([attempt, [...pending]]);
      return pending.slice(1);
    });
    expect(attempts).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['b', 'c']],
      [3, ['c']],
    ]);
    expect(left).toEqual([]);
  });

  it('gives up after maxAttempts, returning what is still unsent', async () => {
    let calls = 0;
    const left = await sendWithRetries(['a', 'b'], QUICK, async (pending) => {
      calls++;
      return pending.slice(-1);
    });
    expect(calls).toBe(QUICK.maxAttempts);
    expect(left).toEqual(['b']);
  });

  it('stops at the first error a send throws, with that error', async () => {
    let calls = 0;
    const attempt = sendWithRetries(['a'], QUICK, async (pending) => {
      if (++calls === 2) throw new Error('the request failed as a whole');
      return pending;
    });
    await expect(attempt).rejects.toThrow('the request failed as a whole');
    expect(calls).toBe(2);
  });
});
