import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { QUEUES, TABLES, type QueueKey, type TableName } from '../../src/adapters/aws-resources.js';
import { RELAY_METRICS } from '../../src/application/ports/relay-metrics.port.js';
import { pascalCase } from '../../infra/constructs/feedrelay-tables.js';
import type { FeedRelayStack } from '../../infra/feedrelay-stack.js';
import { logicalIdOf, statementsOf, stubbedStack } from './template-queries.js';

const FUNCTIONS = ['StartCrawl', 'ScanFeeds', 'FetchFeed', 'StartFanOut', 'ScanSubscribers', 'Deliver'] as const;
const QUEUE_KEYS = Object.keys(QUEUES) as QueueKey[];
const TABLE_KEYS = Object.keys(TABLES) as TableName[];
const queuePath = (key: QueueKey): string => `${pascalCase(QUEUES[key].name)}Queue`;
const consumerOf = (key: QueueKey): string => pascalCase(QUEUES[key].name);

type Resource = { Type: string; Properties: Record<string, unknown> };

let stack: FeedRelayStack;
let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  // CloudFormation's default rules on this stack: cloudformation-rules.test.ts.
  stack = stubbedStack({ stage: 'prod', alarmEmail: 'ops@example.com' });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as typeof resources;
});

const propertiesOf = (path: string): Record<string, unknown> => resources[logicalIdOf(stack, path)]!.Properties;
const ofType = (type: string): Resource[] => Object.values(resources).filter((resource) => resource.Type === type);
const alarms = (): Resource[] => ofType('AWS::CloudWatch::Alarm');

describe('tracing and roles', () => {
  it.each(FUNCTIONS)('traces %s with X-Ray (active), so that a run can be followed across functions', (path) => {
    expect(propertiesOf(path).TracingConfig).toEqual({ Mode: 'Active' });
  });

  it.each(FUNCTIONS)('gives %s its own role with no managed policy', (path) => {
    const role = (propertiesOf(path).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

    expect(role).toBe(logicalIdOf(stack, `${path}Role`));
    expect(resources[role]!.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it.each(FUNCTIONS)('lets %s write logs to its own log group only', (path) => {
    const logs = statementsOf(template, stack, path).filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('logs:')),
    );

    expect(logs).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logicalIdOf(stack, `${path}LogGroup`), 'Arn'] },
      },
    ]);
  });

  it.each(FUNCTIONS)('lets %s send traces, the one grant on every resource', (path) => {
    const wildcard = statementsOf(template, stack, path).filter((statement) => statement.Resource === '*');

    expect(wildcard).toEqual([
      { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
    ]);
  });

  it.each(FUNCTIONS)('tells %s its stage, the dimension of its metrics', (path) => {
    expect(propertiesOf(path)).toMatchObject({ Environment: { Variables: { FEEDRELAY_STAGE: 'prod' } } });
  });
});

describe('the crawl schedule', () => {
  const deadLetterQueue = () => logicalIdOf(stack, 'StartCrawlSchedule/DeadLetterQueue');

  it('retries a start it cannot deliver twice within an hour, then parks it in its dead-letter queue', () => {
    expect(propertiesOf('CrawlSchedule').Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalIdOf(stack, 'StartCrawl'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deadLetterQueue(), 'Arn'] } },
      }),
    ]);
  });

  it('sends a start the function failed, after two retries, to the same queue with its error', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalIdOf(stack, 'StartCrawl') },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [deadLetterQueue(), 'Arn'] } } },
    });
  });

  it('keeps what it parks for 14 days, encrypted, over TLS only, and alarms on the first', () => {
    expect(propertiesOf('StartCrawlSchedule/DeadLetterQueue')).toEqual({
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
    expect(propertiesOf('StartCrawlSchedule/DeadLetterAlarm')).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterQueue(), 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('alarms', () => {
  it('notify the operators’ topic of every alarm and of its return to OK', () => {
    const topic = { Ref: logicalIdOf(stack, 'Alerts/Topic') };

    expect(alarms().length).toBeGreaterThan(0);
    for (const alarm of alarms()) {
      expect(alarm.Properties).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });
    }
  });

  it('mail the address of alarmEmail, over a topic that refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: logicalIdOf(stack, 'Alerts/Topic') },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('mail no one without alarmEmail', () => {
    Template.fromStack(stubbedStack({})).resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('refuse an alarmEmail that is not an address', () => {
    expect(() => stubbedStack({ alarmEmail: 'ops' })).toThrow('alarmEmail must be an e-mail address');
  });

  it.each(FUNCTIONS)('fire on any error or throttle of %s', (path) => {
    for (const metric of ['Errors', 'Throttles']) {
      expect(propertiesOf(`Monitoring/${path}${metric}`)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack, path) } }],
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  });

  it.each(QUEUE_KEYS)('fire when the oldest message in %s is older than 30 minutes', (key) => {
    expect(propertiesOf(`Monitoring/${pascalCase(QUEUES[key].name)}OldestMessage`)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(stack, `${queuePath(key)}/Queue`), 'QueueName'] } },
      ],
      Threshold: 1800,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('take another oldest-message age', () => {
    const other = stubbedStack({ oldestMessageAge: Duration.minutes(90) });

    Template.fromStack(other).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 5400,
    });
  });

  it.each(QUEUE_KEYS)(
    'fire when %s holds messages and its consumer is not invoked for three periods (a stalled relay)',
    (key) => {
      const alarm = propertiesOf(`Monitoring/${pascalCase(QUEUES[key].name)}Stalled`) as {
        Metrics: { Id: string; Expression?: string; MetricStat?: { Metric: Record<string, unknown> } }[];
      };

      expect(alarm).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 3,
      });
      const byId = Object.fromEntries(alarm.Metrics.map((metric) => [metric.Id, metric]));
      expect(Object.values(byId).find((metric) => metric.Expression)?.Expression).toBe(
        'IF(visible > 0 AND FILL(invocations, 0) == 0, 1, 0)',
      );
      expect(byId.visible?.MetricStat?.Metric).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(stack, `${queuePath(key)}/Queue`), 'QueueName'] } },
        ],
      });
      expect(byId.invocations?.MetricStat?.Metric).toMatchObject({
        MetricName: 'Invocations',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(stack, consumerOf(key)) } }],
      });
    },
  );

  it.each(TABLE_KEYS)('fire when DynamoDB throttles a read or a write on the %s table', (key) => {
    const alarm = propertiesOf(`Monitoring/${pascalCase(key)}TableThrottled`) as {
      Metrics: { Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } } }[];
    };

    expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(alarm.Metrics.find((metric) => metric.Expression)?.Expression).toBe('FILL(reads, 0) + FILL(writes, 0)');
    const table = { Name: 'TableName', Value: { Ref: logicalIdOf(stack, `Tables/${pascalCase(key)}`) } };
    expect(alarm.Metrics.flatMap((metric) => (metric.MetricStat ? [metric.MetricStat.Metric] : []))).toEqual([
      { Namespace: 'AWS/DynamoDB', MetricName: 'ReadThrottleEvents', Dimensions: [table] },
      { Namespace: 'AWS/DynamoDB', MetricName: 'WriteThrottleEvents', Dimensions: [table] },
    ]);
  });

  it.each(QUEUE_KEYS)('still fire as soon as a message reaches the %s dead-letter queue', (key) => {
    expect(propertiesOf(`${queuePath(key)}/DeadLetterAlarm`)).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      AlarmActions: [{ Ref: logicalIdOf(stack, 'Alerts/Topic') }],
    });
  });
});

describe('the dashboard', () => {
  /** The dashboard body with its references to resources written as `{Ref:Id}` / `{GetAtt:Id}`. */
  function body(): string {
    const { DashboardBody } = propertiesOf('Monitoring/Dashboard') as {
      DashboardBody: { 'Fn::Join': [string, unknown[]] };
    };
    return DashboardBody['Fn::Join'][1]
      .map((part) => {
        if (typeof part === 'string') return part;
        const ref = (part as { Ref?: string }).Ref;
        if (ref !== undefined) return `{Ref:${ref}}`;
        return `{GetAtt:${(part as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]}}`;
      })
      .join('');
  }

  it('shows every relay metric of the stage from the feedrelay namespace', () => {
    for (const metric of RELAY_METRICS) expect(body()).toContain(`["feedrelay","${metric}","Stage","prod"`);
  });

  it.each(QUEUE_KEYS)('shows the depth, the oldest message and the dead letters of %s', (key) => {
    const queue = `{GetAtt:${logicalIdOf(stack, `${queuePath(key)}/Queue`)}}`;
    const deadLetterQueue = `{GetAtt:${logicalIdOf(stack, `${queuePath(key)}/DeadLetterQueue`)}}`;

    expect(body()).toContain(`["AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","${queue}"`);
    expect(body()).toContain(`["AWS/SQS","ApproximateAgeOfOldestMessage","QueueName","${queue}"`);
    expect(body()).toContain(`["AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","${deadLetterQueue}"`);
  });

  it('shows the crawl schedule’s dead letters too', () => {
    const queue = `{GetAtt:${logicalIdOf(stack, 'StartCrawlSchedule/DeadLetterQueue')}}`;

    expect(body()).toContain(`["AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","${queue}"`);
  });

  it.each(FUNCTIONS)('shows the errors and throttles of %s', (path) => {
    const fn = `{Ref:${logicalIdOf(stack, path)}}`;

    expect(body()).toContain(`["AWS/Lambda","Errors","FunctionName","${fn}"`);
    expect(body()).toContain(`["AWS/Lambda","Throttles","FunctionName","${fn}"`);
  });

  it('is named in the stack outputs, with the alarm topic', () => {
    template.hasOutput('DashboardName', { Value: { Ref: logicalIdOf(stack, 'Monitoring/Dashboard') } });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: logicalIdOf(stack, 'Alerts/Topic') } });
  });
});

describe('stage settings', () => {
  it('give every function the page sizes and allowed networks of the stage', () => {
    const staged = Template.fromStack(
      stubbedStack({
        functionEnvironment: { FEEDRELAY_FEED_PAGE_SIZE: '50', FEEDRELAY_ALLOW_NETWORKS: '10.0.0.0/8' },
      }),
    );

    staged.allResourcesProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ FEEDRELAY_FEED_PAGE_SIZE: '50', FEEDRELAY_ALLOW_NETWORKS: '10.0.0.0/8' }),
      },
    });
  });

  it('set the maximum concurrency of a consumer', () => {
    const staged = Template.fromStack(stubbedStack({ maxConcurrency: { fetchFeed: 40 } }));

    staged.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 40 } });
  });
});
