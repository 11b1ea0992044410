import { describe, expect, it } from '@jest/globals';
import { costPerMillion, type Pricing } from '../../bench/cost-model.js';
import { QUEUES } from '../../src/adapters/aws-resources.js';

const pricing: Pricing = {
  region: 'us-east-1',
  asOf: 'test',
  source: 'test',
  dynamodb: { usdPerMillionWriteRequestUnits: 0.625, usdPerMillionReadRequestUnits: 0.125 },
  sqs: { usdPerMillionRequests: 0.4 },
  lambda: { usdPerGbSecond: 0.0000133334, usdPerMillionRequests: 0.2 },
  eventbridge: { usdPerMillionCustomEvents: 1 },
};

describe('costPerMillion', () => {
  // One fetch invocation of a full batch (40 messages of 25 feeds) per 1,000 feed crawls.
  const fetching = {
    requests: {},
    invocations: { fetchFeed: 1 / 1000 },
    messagesPerInvocation: { fetchFeed: QUEUES.fetchFeed.batchSize },
    articlesWritten: 0,
    capacityUnits: { read: 0, write: 0 },
  };
  const memoryGb = QUEUES.fetchFeed.memoryMb / 1024;

  it('bills a fetch invocation the rounds of its fetches, as long as its servers take', () => {
    const cost = costPerMillion(fetching, pricing, { feedMs: 100, webhookMs: 100 });

    // 1,000 feeds, 200 at a time: five rounds of 100 ms, and 50 ms.
    expect(cost.units.lambdaGbSeconds).toBeCloseTo((1 / 1000) * 0.55 * memoryGb, 9);
  });

  it('bills it at least its CPU at the function’s share of a vCPU when told to count CPU', () => {
    const cost = costPerMillion(
      fetching,
      pricing,
      { feedMs: 100, webhookMs: 100 },
      { cpu: { feedsPerUnit: 1, changedShare: 0.05, deliveriesPerUnit: 0 } },
    );
    const slow = costPerMillion(
      fetching,
      pricing,
      { feedMs: 2000, webhookMs: 100 },
      { cpu: { feedsPerUnit: 1, changedShare: 0.05, deliveriesPerUnit: 0 } },
    );

    // 1,000 feeds × (2 ms + 5 % × 2 ms) = 2.1 s of one vCPU, at 1,024 / 1,769 of one.
    const cpuSeconds = 2.1 / (QUEUES.fetchFeed.memoryMb / 1769);
    expect(cost.units.lambdaGbSeconds).toBeCloseTo((1 / 1000) * cpuSeconds * memoryGb, 9);
    // Servers slower than the CPU: the wait is what is billed (5 × 2 s + 50 ms).
    expect(slow.units.lambdaGbSeconds).toBeCloseTo((1 / 1000) * 10.05 * memoryGb, 9);
  });

  it('counts the CPU of each webhook POSTed once, in the deliver function that makes it', () => {
    // Deliver messages of 250 recipients, priced in full batches of 32: 8,000 recipients an invocation.
    const delivering = {
      requests: {},
      invocations: { deliver: 1 / 250 },
      messagesPerInvocation: { deliver: 1 },
      recipientsPerPart: 250,
      articlesWritten: 0,
      capacityUnits: { read: 0, write: 0 },
    };

    const cost = costPerMillion(
      delivering,
      pricing,
      { feedMs: 100, webhookMs: 100 },
      { cpu: { feedsPerUnit: 0, changedShare: 0, deliveriesPerUnit: 1 } },
    );

    // 8,000 POSTs × 2 ms = 16 s at one vCPU (1,769 MB), more than its ten rounds of 100 ms.
    expect(QUEUES.deliver.memoryMb).toBe(1769);
    expect(cost.units.lambdaGbSeconds).toBeCloseTo((1 / 8000) * 16 * (1769 / 1024), 9);
  });
});
