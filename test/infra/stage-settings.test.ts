import { readStageSettings } from '../../infra/stage-settings.js';

/** The context as `app.node.tryGetContext` answers it: cdk.json's keys, then `-c` flags over them. */
const contextOf =
  (values: Record<string, unknown>) =>
  (key: string): unknown =>
    values[key];

describe('readStageSettings', () => {
  it('gives the defaults for a context that sets nothing: stage default, stack FeedRelay, every 15 minutes', () => {
    const settings = readStageSettings(contextOf({}));

    expect(settings).toEqual({
      stage: 'default',
      stackName: 'FeedRelay',
      crawlRate: expect.objectContaining({}),
      maxConcurrency: {},
      functionEnvironment: {},
      allowedNetworks: [],
      oldestMessageAge: expect.objectContaining({}),
    });
    expect(settings.crawlRate.toMinutes()).toBe(15);
    expect(settings.oldestMessageAge.toMinutes()).toBe(30);
  });

  it('names the stack after a stage other than default', () => {
    expect(readStageSettings(contextOf({ stage: 'prod' })).stackName).toBe('FeedRelay-prod');
  });

  it('takes the settings of the stage from stages.<name>, and -c keys over them', () => {
    const settings = readStageSettings(
      contextOf({
        stage: 'prod',
        stages: {
          prod: {
            crawlRateMinutes: 5,
            feedPageSize: 200,
            alarmEmail: 'ops@example.com',
            maxConcurrency: { deliver: 300 },
          },
          dev: { crawlRateMinutes: 60 },
        },
        // as `-c subscriberPageSize=50 -c alarmEmail=a@b.c` gives them: strings
        subscriberPageSize: '50',
        alarmEmail: 'a@b.c',
      }),
    );

    expect(settings.crawlRate.toMinutes()).toBe(5);
    expect(settings.alarmEmail).toBe('a@b.c');
    expect(settings.maxConcurrency).toEqual({ deliver: 300 });
    expect(settings.functionEnvironment).toEqual({
      FEEDRELAY_FEED_PAGE_SIZE: '200',
      FEEDRELAY_SUBSCRIBER_PAGE_SIZE: '50',
    });
  });

  it('takes allowed networks as a list or a comma-separated string, and hands them to the functions', () => {
    const fromList = readStageSettings(contextOf({ allowedNetworks: ['10.0.0.0/8', 'fd00::/8'] }));
    const fromString = readStageSettings(contextOf({ allowedNetworks: '10.0.0.0/8, fd00::/8' }));

    expect(fromList.allowedNetworks).toEqual(['10.0.0.0/8', 'fd00::/8']);
    expect(fromString.allowedNetworks).toEqual(fromList.allowedNetworks);
    expect(fromList.functionEnvironment).toEqual({ FEEDRELAY_ALLOW_NETWORKS: '10.0.0.0/8,fd00::/8' });
  });

  it('takes the maximum concurrency as JSON text from -c', () => {
    expect(readStageSettings(contextOf({ maxConcurrency: '{"fetchFeed":400}' })).maxConcurrency).toEqual({
      fetchFeed: 400,
    });
  });

  it.each([
    [{ stage: 'prod eu' }, 'context stage must be'],
    [{ crawlRateMinutes: '0' }, 'context crawlRateMinutes must be a whole number from 1 to 1440, got "0"'],
    [{ crawlRateMinutes: 'often' }, 'context crawlRateMinutes must be a whole number'],
    [{ feedPageSize: 5000 }, 'context feedPageSize must be a whole number from 1 to 1000'],
    [{ allowedNetworks: 'intranet' }, 'context allowedNetworks:'],
    [{ maxConcurrency: '{"fetchFeeds":4}' }, 'context maxConcurrency.fetchFeeds is not a queue'],
    [{ maxConcurrency: { deliver: 1 } }, 'context maxConcurrency.deliver must be a whole number from 2 to 1000'],
    [{ maxConcurrency: 'many' }, 'context maxConcurrency must be a JSON object'],
    [{ alarmEmail: '' }, 'context alarmEmail must be a non-empty string'],
    [{ stage: 'prod', stages: { prod: { crawlRate: 5 } } }, 'context stages.prod.crawlRate is not a stage setting'],
  ])('refuses %j, naming the key', (context, message) => {
    expect(() => readStageSettings(contextOf(context))).toThrow(message);
  });
});
