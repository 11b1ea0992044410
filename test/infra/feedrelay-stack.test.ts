import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DISCOVERY_RULE, QUEUES, TABLES, type QueueKey, type TableName } from '../../src/adapters/aws-resources.js';
import { tableNames } from '../../src/adapters/dynamodb/dynamodb-tables.js';
import { readAwsConfig } from '../../src/entrypoints/container/aws.module.js';
import { readLambdaSettings } from '../../src/entrypoints/lambda/lambda-settings.js';
import { pascalCase } from '../../infra/constructs/feedrelay-tables.js';
import { DEFAULT_MAX_CONCURRENCY, type FeedRelayStack } from '../../infra/feedrelay-stack.js';
import { actionsOfService, actionsOn, logicalIdOf, statementsOf, stubbedStack } from './template-queries.js';

const FUNCTIONS = ['StartCrawl', 'ScanFeeds', 'FetchFeed', 'StartFanOut', 'ScanSubscribers', 'Deliver'] as const;
type FunctionPath = (typeof FUNCTIONS)[number];

const TABLE_KEYS = Object.keys(TABLES) as TableName[];
const QUEUE_KEYS = Object.keys(QUEUES) as QueueKey[];

/** Each queue's consumer is the function of the same name. */
const consumerOf = (key: QueueKey): FunctionPath => pascalCase(QUEUES[key].name) as FunctionPath;
const queuePath = (key: QueueKey): string => `${pascalCase(QUEUES[key].name)}Queue`;

/**
 * The DynamoDB actions each handler's composition sends, per table, and nothing more: the commands of the
 * adapters (src/adapters/dynamodb) its use cases call. The step runner claims and completes with UpdateItem,
 * reads a lost claim with GetItem and releases a failed step with DeleteItem.
 */
const TABLE_ACTIONS: Record<FunctionPath, Partial<Record<TableName, string[]>>> = {
  // StartCrawlRun and ResumeRun: the runs, their step records, and lost work rebuilt from feeds, discoveries
  // and subscriptions.
  StartCrawl: {
    runs: ['GetItem', 'PutItem', 'Query', 'UpdateItem'],
    steps: ['DeleteItem', 'GetItem', 'Query', 'UpdateItem'],
    feeds: ['DescribeTable', 'GetItem'],
    articles: ['Query'],
    subscriptions: ['BatchGetItem', 'Query'],
  },
  ScanFeeds: { feeds: ['Scan'], steps: ['DeleteItem', 'GetItem', 'UpdateItem'] },
  // The feed read and committed, its discovery's articles written, host holds read beside the ledger.
  FetchFeed: {
    feeds: ['GetItem', 'UpdateItem'],
    articles: ['BatchWriteItem'],
    steps: ['BatchGetItem', 'DeleteItem', 'GetItem', 'UpdateItem'],
  },
  // The fan-out's pages read subscribers, and deliver a lone part themselves as Deliver does (a secret's data
  // key read from the keyring: GetItem, only in its partition).
  StartFanOut: {
    subscriptions: ['BatchGetItem', 'GetItem', 'Query', 'UpdateItem'],
    articles: ['Query'],
    steps: ['DeleteItem', 'GetItem', 'UpdateItem'],
  },
  ScanSubscribers: {
    subscriptions: ['BatchGetItem', 'GetItem', 'Query', 'UpdateItem'],
    articles: ['Query'],
    steps: ['DeleteItem', 'GetItem', 'UpdateItem'],
  },
  // Ending a subscription whose endpoint is gone (found, then updated) is its only write to subscriptions; a
  // secret's data key is read from the keyring (GetItem, only in its partition).
  Deliver: {
    subscriptions: ['BatchGetItem', 'GetItem', 'UpdateItem'],
    articles: ['Query'],
    steps: ['DeleteItem', 'GetItem', 'UpdateItem'],
  },
};

/** The queues each handler sends work to. */
const SENDS_TO: Record<FunctionPath, QueueKey[]> = {
  // A resume sends lost scan pages, fetches, fan-out pages and deliveries again.
  StartCrawl: ['scanFeeds', 'fetchFeed', 'scanSubscribers', 'deliver'],
  ScanFeeds: ['scanFeeds', 'fetchFeed'],
  FetchFeed: [],
  StartFanOut: ['scanSubscribers', 'deliver'],
  ScanSubscribers: ['scanSubscribers', 'deliver'],
  Deliver: ['deliver'],
};

let stack: FeedRelayStack;
let template: Template;
let resources: Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;

beforeAll(() => {
  // CloudFormation's default rules on this stack: cloudformation-rules.test.ts.
  stack = stubbedStack();
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as typeof resources;
});

const propertiesOf = (path: string): Record<string, unknown> => resources[logicalIdOf(stack, path)]!.Properties;

describe('FeedRelayTables', () => {
  it('creates exactly the tables of TABLES', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', TABLE_KEYS.length);
  });

  it.each(TABLE_KEYS)('creates the %s table with its keys, on demand, with point-in-time recovery', (key) => {
    const definition = TABLES[key];
    const sortKey = 'sortKey' in definition ? definition.sortKey : undefined;

    expect(propertiesOf(`Tables/${pascalCase(key)}`)).toMatchObject({
      TableName: `FeedRelay-${definition.name}`,
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: [
        { AttributeName: definition.partitionKey, KeyType: 'HASH' },
        ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' }] : []),
      ],
      AttributeDefinitions: [
        { AttributeName: definition.partitionKey, AttributeType: 'S' },
        ...(sortKey ? [{ AttributeName: sortKey, AttributeType: 'S' }] : []),
      ],
    });
  });

  it.each(TABLE_KEYS)('sets the TTL attribute of the %s table where its definition names one', (key) => {
    const definition = TABLES[key];
    const ttl = 'timeToLiveAttribute' in definition ? definition.timeToLiveAttribute : undefined;

    expect(propertiesOf(`Tables/${pascalCase(key)}`).TimeToLiveSpecification).toEqual(
      ttl ? { AttributeName: ttl, Enabled: true } : undefined,
    );
  });

  it('retains and protects the tables of user data, and lets the expiring ones go with the stack', () => {
    const policy = (key: TableName) => ({
      deletion: resources[logicalIdOf(stack, `Tables/${pascalCase(key)}`)]!.DeletionPolicy,
      protection: propertiesOf(`Tables/${pascalCase(key)}`).DeletionProtectionEnabled,
    });

    for (const key of ['feeds', 'subscriptions', 'articles'] as const) {
      expect(policy(key)).toEqual({ deletion: 'Retain', protection: true });
    }
    for (const key of ['runs', 'steps'] as const)
      expect(policy(key)).toEqual({ deletion: 'Delete', protection: false });
  });

  it('names the tables as the DynamoDB adapters expect for the prefix the functions are given', () => {
    const names = tableNames('FeedRelay-');

    for (const key of TABLE_KEYS) expect(propertiesOf(`Tables/${pascalCase(key)}`).TableName).toBe(names[key]);
  });
});

describe('RelayQueue', () => {
  it('creates every queue of QUEUES and a dead-letter queue for each', () => {
    // …and the crawl schedule's dead-letter queue.
    template.resourceCountIs('AWS::SQS::Queue', QUEUE_KEYS.length * 2 + 1);
  });

  it.each(QUEUE_KEYS)('gives the %s queue its visibility time-out and redrive to its own dead-letter queue', (key) => {
    const definition = QUEUES[key];
    const deadLetterId = logicalIdOf(stack, `${queuePath(key)}/DeadLetterQueue`);

    expect(propertiesOf(`${queuePath(key)}/Queue`)).toEqual({
      VisibilityTimeout: definition.visibilityTimeoutSeconds,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterId, 'Arn'] },
        maxReceiveCount: definition.maxReceiveCount,
      },
      SqsManagedSseEnabled: true,
    });
    expect(propertiesOf(`${queuePath(key)}/DeadLetterQueue`)).toEqual({
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
  });

  it('refuses plain HTTP on every queue, dead-letter queues included', () => {
    for (const key of QUEUE_KEYS) {
      for (const part of ['Queue', 'DeadLetterQueue']) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: logicalIdOf(stack, `${queuePath(key)}/${part}`) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    }
  });

  it.each(QUEUE_KEYS)('alarms as soon as a message reaches the %s dead-letter queue', (key) => {
    expect(propertiesOf(`${queuePath(key)}/DeadLetterAlarm`)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalIdOf(stack, `${queuePath(key)}/DeadLetterQueue`), 'QueueName'] },
        },
      ],
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('consumers', () => {
  it('maps each queue to one function and nothing else', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', QUEUE_KEYS.length);
  });

  it.each(QUEUE_KEYS)(
    'feeds the %s queue to its consumer in batches of its size, reporting failures per record',
    (key) => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, `${queuePath(key)}/Queue`), 'Arn'] },
        FunctionName: { Ref: logicalIdOf(stack, consumerOf(key)) },
        BatchSize: QUEUES[key].batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: DEFAULT_MAX_CONCURRENCY[key] },
        ...(QUEUES[key].maxBatchingWindowSeconds > 0
          ? { MaximumBatchingWindowInSeconds: QUEUES[key].maxBatchingWindowSeconds }
          : {}),
      });
    },
  );

  it('sizes the fetches and the deliveries for scale: batches over 10 messages, filled for at most a second', () => {
    for (const key of ['fetchFeed', 'deliver'] as const) {
      expect(QUEUES[key].batchSize).toBeGreaterThan(10);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalIdOf(stack, consumerOf(key)) },
        BatchSize: QUEUES[key].batchSize,
        MaximumBatchingWindowInSeconds: 1,
      });
    }
  });

  it('lets a crawl’s discoveries share the fan-out’s invocations: ten a batch, filled for at most a second', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf(stack, consumerOf('startFanOut')) },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
    });
  });

  it('takes each maximum concurrency from QUEUES, the fetches and deliveries most of an account’s 1,000', () => {
    // start-fan-out delivers most discoveries' subscribers itself (a lone part each).
    expect(DEFAULT_MAX_CONCURRENCY).toEqual({
      scanFeeds: 100,
      fetchFeed: 800,
      startFanOut: 200,
      scanSubscribers: 150,
      deliver: 800,
    });
  });

  it.each(QUEUE_KEYS)('sizes the %s consumer to its queue: time-out and step lease', (key) => {
    const definition = QUEUES[key];
    const properties = propertiesOf(consumerOf(key)) as {
      Timeout: number;
      MemorySize: number;
      Environment: { Variables: Record<string, unknown> };
    };

    expect(properties.Timeout).toBe(definition.functionTimeoutSeconds);
    expect(properties.MemorySize).toBe(definition.memoryMb);
    expect(properties.Environment.Variables.FEEDRELAY_LEASE_SECONDS).toBe(String(definition.functionTimeoutSeconds));
    expect(definition.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(
      6 * definition.functionTimeoutSeconds + definition.maxBatchingWindowSeconds,
    );
  });
});

describe('RelayFunction', () => {
  it('creates the six handlers and the management API’s (test/infra/management-api.test.ts)', () => {
    template.resourceCountIs('AWS::Lambda::Function', FUNCTIONS.length + 1);
  });

  it.each(FUNCTIONS)('runs %s on Node.js 24 on arm64, logging to its own log group', (path) => {
    const properties = propertiesOf(path) as { LoggingConfig: { LogGroup: { Ref: string } } };

    expect(properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
    expect(properties.LoggingConfig.LogGroup).toEqual({ Ref: logicalIdOf(stack, `${path}LogGroup`) });
    expect(propertiesOf(`${path}LogGroup`)).toEqual({ RetentionInDays: 30 });
  });

  it.each(['ScanFeeds', 'ScanSubscribers', 'Deliver'] as const)(
    'lets %s send to its own queue past Lambda’s recursive-loop detection',
    (path) => {
      expect(propertiesOf(path).RecursiveLoop).toBe('Allow');
    },
  );

  it.each(['StartCrawl', 'FetchFeed', 'StartFanOut'] as const)('keeps loop detection on for %s', (path) => {
    expect(propertiesOf(path).RecursiveLoop).toBe('Terminate');
  });

  it('allows loops exactly where QUEUES declares a relay', () => {
    for (const key of QUEUE_KEYS) {
      expect(propertiesOf(consumerOf(key)).RecursiveLoop).toBe(QUEUES[key].recursive ? 'Allow' : 'Terminate');
    }
  });
});

describe('least privilege', () => {
  describe.each(FUNCTIONS)('%s', (path) => {
    it.each(TABLE_KEYS)('may call exactly the actions its composition sends on the %s table', (key) => {
      const actions = actionsOn(statementsOf(template, stack, path), logicalIdOf(stack, `Tables/${pascalCase(key)}`));

      expect([...actions].sort()).toEqual((TABLE_ACTIONS[path][key] ?? []).map((action) => `dynamodb:${action}`));
    });

    it('may only send to the queues it sends to: no queue attributes, no URL lookups', () => {
      const statements = statementsOf(template, stack, path);
      for (const key of SENDS_TO[path].filter((key) => consumerOf(key) !== path)) {
        expect([...actionsOn(statements, logicalIdOf(stack, `${queuePath(key)}/Queue`))]).toEqual(['sqs:SendMessage']);
      }
      for (const key of QUEUE_KEYS.filter((key) => consumerOf(key) === path)) {
        const deadLetterQueue = logicalIdOf(stack, `${queuePath(key)}/DeadLetterQueue`);
        expect([...actionsOn(statements, deadLetterQueue)]).toEqual(['sqs:SendMessage']);
      }
    });

    it('sends only to the queues its use case sends to, and receives only from its own', () => {
      const statements = statementsOf(template, stack, path);
      for (const key of QUEUE_KEYS) {
        const actions = actionsOn(statements, logicalIdOf(stack, `${queuePath(key)}/Queue`));
        expect({ key, sends: actions.has('sqs:SendMessage') }).toEqual({ key, sends: SENDS_TO[path].includes(key) });
        expect({ key, receives: actions.has('sqs:ReceiveMessage') }).toEqual({
          key,
          receives: consumerOf(key) === path,
        });
        // A consumer parks what can never succeed in its own queue's dead-letter queue; it reads none.
        const deadLetterActions = actionsOn(statements, logicalIdOf(stack, `${queuePath(key)}/DeadLetterQueue`));
        expect({ key, parks: deadLetterActions.has('sqs:SendMessage') }).toEqual({
          key,
          parks: consumerOf(key) === path,
        });
        expect(deadLetterActions.has('sqs:ReceiveMessage')).toBe(false);
      }
    });

    it('publishes events only if it is fetch-feed', () => {
      const statements = statementsOf(template, stack, path);
      const expected = path === 'FetchFeed' ? ['events:PutEvents'] : [];

      expect(actionsOfService(statements, 'events:')).toEqual(expected);
      expect([...actionsOn(statements, logicalIdOf(stack, 'EventBus'))]).toEqual(expected);
    });

    it('names a resource in every data-plane grant (no wildcards)', () => {
      const wildcards = statementsOf(template, stack, path).filter(
        (statement) =>
          [statement.Action].flat().some((action) => /^(dynamodb|sqs|events):/.test(action)) &&
          JSON.stringify(statement.Resource).includes('"*"'),
      );
      expect(wildcards).toEqual([]);
    });
  });

  it('gives fetch-feed no Scan or DeleteItem on feeds and articles, no batch write on feeds, nor Scan anywhere', () => {
    const statements = statementsOf(template, stack, 'FetchFeed');
    const unused = {
      'Tables/Feeds': /^dynamodb:(Scan|DeleteItem|BatchWriteItem)$/,
      'Tables/Articles': /^dynamodb:(Scan|DeleteItem)$/,
    };

    for (const [table, pattern] of Object.entries(unused)) {
      expect([...actionsOn(statements, logicalIdOf(stack, table))].filter((action) => pattern.test(action))).toEqual(
        [],
      );
    }
    expect(actionsOfService(statements, 'dynamodb:Scan')).toEqual([]);
  });

  it('lets deliver do nothing to subscriptions but end one: find it on its shard (BatchGetItem), then UpdateItem', () => {
    // The keyring's partition aside (see the secrets key's grants).
    const statements = statementsOf(template, stack, 'Deliver').filter((s) => !('Condition' in s));
    const actions = actionsOn(statements, logicalIdOf(stack, 'Tables/Subscriptions'));

    expect([...actions].sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:UpdateItem']);
  });

  it('does not let fetch-feed write subscriptions', () => {
    const actions = actionsOn(statementsOf(template, stack, 'FetchFeed'), logicalIdOf(stack, 'Tables/Subscriptions'));

    expect([...actions]).toEqual([]);
  });
});

describe('function environment', () => {
  /** The variables with each CloudFormation reference replaced by a value of the shape it will have. */
  function environmentOf(path: FunctionPath): Record<string, string> {
    const variables = (propertiesOf(path) as { Environment: { Variables: Record<string, unknown> } }).Environment
      .Variables;
    return Object.fromEntries(
      Object.entries(variables).map(([name, value]) => {
        if (typeof value === 'string') return [name, value];
        const ref = (value as { Ref: string }).Ref;
        return [name, /QUEUE_URL|DLQ_URL/.test(name) ? `https://sqs.eu-west-1.amazonaws.com/123456789012/${ref}` : ref];
      }),
    );
  }

  it.each(FUNCTIONS)('gives %s every setting the Lambda reads at cold start, valid', (path) => {
    const env = environmentOf(path);

    expect(() => readLambdaSettings(env)).not.toThrow();
    const config = readAwsConfig(env);
    expect(config.tablePrefix).toBe('FeedRelay-');
    expect(config.eventBusName).toBe(logicalIdOf(stack, 'EventBus'));
    for (const key of QUEUE_KEYS) {
      expect(config.queueUrls[key]).toBe(
        `https://sqs.eu-west-1.amazonaws.com/123456789012/${logicalIdOf(stack, `${queuePath(key)}/Queue`)}`,
      );
    }
    // A consumer knows its own queue's dead-letter queue, and no other.
    const consumed = QUEUE_KEYS.filter((key) => consumerOf(key) === path);
    expect(config.deadLetterQueueUrls).toEqual(
      Object.fromEntries(
        consumed.map((key) => [
          key,
          `https://sqs.eu-west-1.amazonaws.com/123456789012/${logicalIdOf(stack, `${queuePath(key)}/DeadLetterQueue`)}`,
        ]),
      ),
    );
  });
});

describe('EventBridge', () => {
  it('starts a crawl run every 15 minutes by default', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalIdOf(stack, 'StartCrawl'), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalIdOf(stack, 'StartCrawl'), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, 'CrawlSchedule'), 'Arn'] },
    });
  });

  it('takes another crawl rate', () => {
    const other = Template.fromStack(stubbedStack({ crawlRate: Duration.minutes(5) }));

    other.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('routes discoveries on the feedrelay bus to the fan-out queue, undeliverable ones to its dead-letter queue', () => {
    const target = `${queuePath(DISCOVERY_RULE.target)}`;

    expect(propertiesOf('DiscoveryRule')).toMatchObject({
      EventBusName: { Ref: logicalIdOf(stack, 'EventBus') },
      EventPattern: { source: [DISCOVERY_RULE.source], 'detail-type': [DISCOVERY_RULE.detailType] },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalIdOf(stack, `${target}/Queue`), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(stack, `${target}/DeadLetterQueue`), 'Arn'] } },
        },
      ],
    });
    expect(DISCOVERY_RULE.target).toBe('startFanOut');
  });

  it('lets only the discovery rule send to the fan-out queue on EventBridge’s behalf', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalIdOf(stack, `${queuePath('startFanOut')}/Queue`) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: Match.arrayWith(['sqs:SendMessage']),
            Condition: {
              ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalIdOf(stack, 'DiscoveryRule'), 'Arn'] } },
            },
          }),
        ]),
      },
    });
  });

  it('has one custom event bus', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
  });
});
