import { EmfRelayMetrics, type EmfDocument } from '../../../src/adapters/cloudwatch/emf-relay-metrics.js';
import { InMemoryRelayMetrics } from '../../../src/adapters/memory/in-memory-relay-metrics.js';
import { ConfigurationError } from '../../../src/application/errors.js';
import { DEFAULT_STAGE, readStage } from '../../../src/entrypoints/lambda/cold-start.js';

const AT = Date.parse('2026-12-01T10:00:00Z');

/** An EMF adapter whose documents land in `written`. */
function emf(stage = 'prod'): { metrics: EmfRelayMetrics; written: EmfDocument[] } {
  const written: EmfDocument[] = [];
  return {
    metrics: new EmfRelayMetrics(
      stage,
      (document) => written.push(document),
      () => AT,
    ),
    written,
  };
}

describe('EmfRelayMetrics', () => {
  it('writes what an invocation counted as one embedded-metric-format document in the feedrelay namespace', () => {
    // Prepare
    const { metrics, written } = emf();
    metrics.count('FeedsFetched', 3);
    metrics.count('NewArticles', 7);
    metrics.count('FeedsFetched', 2);

    // Act
    metrics.flush();

    // Assess
    expect(written).toEqual([
      {
        _aws: {
          Timestamp: AT,
          CloudWatchMetrics: [
            {
              Namespace: 'feedrelay',
              Dimensions: [['Stage']],
              Metrics: [
                { Name: 'FeedsFetched', Unit: 'Count' },
                { Name: 'NewArticles', Unit: 'Count' },
              ],
            },
          ],
        },
        Stage: 'prod',
        FeedsFetched: 5,
        NewArticles: 7,
      },
    ]);
  });

  it('gives every declared metric and dimension a top-level member, as EMF requires', () => {
    const { metrics, written } = emf();
    metrics.count('DeliveriesDelivered', 4);
    metrics.count('DeliveriesFailed', 0);
    metrics.count('DeliveriesPending', 1);
    metrics.flush();

    const document = written[0]!;
    const directive = document._aws.CloudWatchMetrics[0]!;
    for (const { Name } of directive.Metrics) expect(typeof document[Name]).toBe('number');
    for (const dimension of directive.Dimensions.flat()) expect(typeof document[dimension]).toBe('string');
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
  });

  it('starts each invocation from nothing: a flush resets the counts', () => {
    const { metrics, written } = emf();
    metrics.count('RelayPages', 1);
    metrics.flush();
    metrics.count('RelayPages', 1);
    metrics.flush();

    expect(written.map((document) => document.RelayPages)).toEqual([1, 1]);
  });

  it('writes nothing for an invocation that counted nothing', () => {
    const { metrics, written } = emf();

    metrics.flush();

    expect(written).toEqual([]);
  });

  it.each([-1, 1.5, Number.NaN])('refuses a count of %s, naming the metric', (value) => {
    const { metrics } = emf();

    expect(() => metrics.count('NewArticles', value)).toThrow(/metric NewArticles: a count must be a whole number/);
  });

  it('refuses an empty stage', () => {
    expect(() => new EmfRelayMetrics(' ', () => undefined)).toThrow('the stage must not be empty');
  });
});

describe('readStage', () => {
  it('takes the stage from FEEDRELAY_STAGE', () => {
    expect(readStage({ FEEDRELAY_STAGE: 'prod-eu' })).toBe('prod-eu');
  });

  it('uses the default stage when none is set', () => {
    expect(readStage({})).toBe(DEFAULT_STAGE);
  });

  it.each(['', 'a b', 'x'.repeat(65)])('refuses FEEDRELAY_STAGE=%j, naming the variable', (value) => {
    expect(() => readStage({ FEEDRELAY_STAGE: value })).toThrow(ConfigurationError);
    expect(() => readStage({ FEEDRELAY_STAGE: value })).toThrow('FEEDRELAY_STAGE');
  });
});

describe('InMemoryRelayMetrics', () => {
  it('keeps running totals', () => {
    const metrics = new InMemoryRelayMetrics();

    metrics.count('RunsStarted', 1);
    metrics.count('RunsStarted', 1);

    expect(metrics.total('RunsStarted')).toBe(2);
    expect(metrics.total('RunsFinished')).toBe(0);
    expect(metrics.all()).toEqual({ RunsStarted: 2 });
  });

  it('refuses a negative count', () => {
    expect(() => new InMemoryRelayMetrics().count('FeedsFailed', -2)).toThrow('metric FeedsFailed');
  });
});
