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

  it('stops a body that goes past the budget while another reads on past it, until there is room again', () => {
    const budget = new BodyBudget(100);
    const a = body(budget);
    const beyond = body(budget);
    const b = body(budget);
    a.take(80);
    expect(beyond.take(30)).toBe(true);

    expect(b.take(10)).toBe(false);
    expect(b.state.resumed).toBe(0);

    a.allowance.release();

    expect(b.state.resumed).toBe(1);
    expect(budget.heldBytes).toBe(40);
  });

  it('lets one body read on past the budget, the first that needs it: the bodies never all wait for each other', () => {
    const budget = new BodyBudget(100);
    const first = body(budget);
    const second = body(budget);
    first.take(100);

    expect(second.take(50)).toBe(true);
    expect(second.take(500)).toBe(true);
    expect(first.take(1)).toBe(false);
    expect(budget.heldBytes).toBe(651);
  });

  it('lets the body that has waited longest read on past the budget once the one reading past it is done', () => {
    const budget = new BodyBudget(100);
    const holder = body(budget);
    const beyond = body(budget);
    const early = body(budget);
    const late = body(budget);
    holder.take(100);
    beyond.take(10);
    expect(early.take(50)).toBe(false);
    expect(late.take(50)).toBe(false);

    beyond.allowance.release();

    // 200 are still held: no room, so only the body that waited longest reads on, past the budget.
    expect(early.state.resumed).toBe(1);
    expect(late.state.resumed).toBe(0);
    expect(early.take(1_000)).toBe(true);
    expect(late.state.resumed).toBe(0);

    early.allowance.release();

    expect(late.state.resumed).toBe(1);
    expect(budget.heldBytes).toBe(150);
  });

  it('serves the waiting bodies first come first served once there is room', () => {
    const budget = new BodyBudget(100);
    const order: string[] = [];
    const holder = budget.begin();
    const beyond = budget.begin();
    const other = budget.begin();
    const late = budget.begin();
    holder.take(90, () => order.push('holder'));
    beyond.take(20, () => order.push('beyond'));
    expect(late.take(10, () => order.push('late'))).toBe(false);
    expect(other.take(10, () => order.push('other'))).toBe(false);

    holder.release();

    // 60 held now: both read on, late first (it came first).
    expect(order).toEqual(['late', 'other']);
  });

  it('frees a body once however often it is released, and drops the resume it was waiting for', () => {
    const budget = new BodyBudget(100);
    const a = body(budget);
    const beyond = body(budget);
    const b = body(budget);
    a.take(100);
    beyond.take(10);
    expect(b.take(10)).toBe(false);

    b.allowance.release();
    b.allowance.release();
    beyond.allowance.release();
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
