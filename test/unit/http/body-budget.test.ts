import { describe, expect, it } from '@jest/globals';
import { BodyBudget } from '../../../src/adapters/http/body-budget.js';

/** A body of the budget, and how often it was told to read on. */
function body(budget: BodyBudget) {
  const allowance = budget.begin();
  const state = { resumed: 0 };
  return {
    state,
    allowance,
    take: (bytes: number) => allowance.take(bytes, () => state.resumed++),
  };
}

describe('BodyBudget', () => {
  it('lets bodies read on while what they hold together is within the budget', () => {
    const budget = new BodyBudget(100);
    const a = body(budget);
    const b = body(budget);

    expect(a.take(60)).toBe(true);
    expect(b.take(40)).toBe(true);
    expect(budget.heldBytes).toBe(100);
  });

  it('stops a body that goes past the budget until another one is done, then lets it read on', () => {
    const budget = new BodyBudget(100);
    const a = body(budget);
    const b = body(budget);
    a.take(80);

    expect(b.take(30)).toBe(false);
    expect(b.state.resumed).toBe(0);

    a.allowance.release();

    expect(b.state.resumed).toBe(1);
    expect(budget.heldBytes).toBe(30);
  });

  it('always lets the oldest body read on, past the budget: the bodies never all wait for each other', () => {
    const budget = new BodyBudget(100);
    const oldest = body(budget);
    const younger = body(budget);
    younger.take(100);

    expect(oldest.take(50)).toBe(true);
    expect(oldest.take(500)).toBe(true);
    expect(younger.take(1)).toBe(false);
    expect(budget.heldBytes).toBe(651);
  });

  it('lets a waiting body read on as soon as it becomes the oldest, though the budget is still spent', () => {
    const budget = new BodyBudget(100);
    const first = body(budget);
    const second = body(budget);
    const third = body(budget);
    first.take(100);
    expect(third.take(50)).toBe(false);
    expect(second.take(50)).toBe(false);

    first.allowance.release();

    // 100 are held by the two waiting bodies: only the oldest of them (second, which waited last) reads on.
    expect(second.state.resumed).toBe(1);
    expect(third.state.resumed).toBe(0);

    second.allowance.release();

    expect(third.state.resumed).toBe(1);
    expect(budget.heldBytes).toBe(50);
  });

  it('serves the waiting bodies first come first served once there is room', () => {
    const budget = new BodyBudget(100);
    const holder = body(budget);
    const other = body(budget);
    const late = body(budget);
    holder.take(90);
    other.take(5);
    expect(late.take(10)).toBe(false);
    expect(other.take(10)).toBe(false);

    holder.allowance.release();

    // 25 held now: both read on, late first (it came first); other is the oldest now anyway.
    expect(late.state.resumed).toBe(1);
    expect(other.state.resumed).toBe(1);
  });

  it('frees a body once however often it is released, and drops the resume it was waiting for', () => {
    const budget = new BodyBudget(100);
    const a = body(budget);
    const b = body(budget);
    a.take(100);
    expect(b.take(10)).toBe(false);

    b.allowance.release();
    b.allowance.release();
    a.allowance.release();

    expect(b.state.resumed).toBe(0);
    expect(budget.heldBytes).toBe(0);
    // A chunk that arrives after its body was released counts for nothing.
    expect(b.take(1_000)).toBe(true);
    expect(budget.heldBytes).toBe(0);
  });

  it('refuses a budget that is not a positive whole number of bytes', () => {
    expect(() => new BodyBudget(0)).toThrow('a body budget is a positive whole number of bytes, not 0');
    expect(() => new BodyBudget(1.5)).toThrow(RangeError);
  });
});
