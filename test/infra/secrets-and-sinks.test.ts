import { Match, Template } from 'aws-cdk-lib/assertions';
import { KEY_RING, SECRETS_KEY } from '../../src/adapters/aws-resources.js';
import { AWS_ENV } from '../../src/entrypoints/container/aws-config.js';
import { parseSinkTargets } from '../../infra/constructs/sink-targets.js';
import type { FeedRelayStack } from '../../infra/feedrelay-stack.js';
import type { RelayFunction } from '../../infra/constructs/relay-function.js';
import { pascalCase, type FeedRelayTables } from '../../infra/constructs/feedrelay-tables.js';
import { SecretsKey } from '../../infra/constructs/secrets-key.js';
import {
  actionsOfService,
  actionsOn,
  logicalIdOf,
  statementsOf,
  stubbedStack,
  type Statement,
} from './template-queries.js';

const FUNCTIONS = ['StartCrawl', 'ScanFeeds', 'FetchFeed', 'StartFanOut', 'ScanSubscribers', 'Deliver'] as const;
const QUEUES_ALLOWED = ['arn:aws:sqs:eu-west-1:123456789012:feedrelay-*', 'arn:aws:sqs:*:210987654321:articles'];
/** The functions that deliver: Deliver, and the fan-out's pages, which deliver a lone part of recipients themselves. */
const DELIVERING: readonly (typeof FUNCTIONS)[number][] = ['StartFanOut', 'ScanSubscribers', 'Deliver'];

let stack: FeedRelayStack;
let template: Template;

beforeAll(() => {
  stack = stubbedStack({ sinkTargets: { sqsQueueArns: QUEUES_ALLOWED } });
  template = Template.fromStack(stack);
});

describe('the secrets key', () => {
  it('is one symmetric KMS key of the stack, rotated yearly, kept when the stack goes', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, KeySpec: Match.absent() },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('lets only the functions that deliver use it, to decrypt data keys under feedrelay’s encryption context', () => {
    const keyId = logicalIdOf(stack, 'Secrets/Key');
    for (const path of FUNCTIONS) {
      const statements = statementsOf(template, stack, path);
      expect({ path, kms: actionsOfService(statements, 'kms:') }).toEqual({
        path,
        kms: DELIVERING.includes(path) ? ['kms:Decrypt'] : [],
      });
    }
    for (const path of DELIVERING) {
      const [statement] = statementsOf(template, stack, path).filter((s) => [s.Action].flat()[0] === 'kms:Decrypt');
      expect(statement).toMatchObject({
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
        Condition: { StringEquals: { 'kms:EncryptionContext:purpose': SECRETS_KEY.encryptionContext.purpose } },
      });
    }
  });

  it('tells the deliver function the key’s ARN, by the variable the Lambda reads', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^One page of recipients'),
      Environment: {
        Variables: Match.objectLike({
          [AWS_ENV.secretsKeyId]: { 'Fn::GetAtt': [logicalIdOf(stack, 'Secrets/Key'), 'Arn'] },
        }),
      },
    });
    template.hasOutput('SecretsKeyArn', {});
  });

  it('lets a function that creates subscriptions seal, and only seal', () => {
    const sealing = stubbedStack({});
    const fn = sealing.node.findChild('StartCrawl') as RelayFunction;
    fn.bindSecretsKey(sealing.secrets, 'seal');

    const statements = statementsOf(Template.fromStack(sealing), sealing, 'StartCrawl');

    expect(actionsOfService(statements, 'kms:')).toEqual(['kms:GenerateDataKey']);
    expect(keyRingStatements(statements, sealing)).toEqual([keyRingStatement('dynamodb:PutItem', sealing)]);
  });
});

/** The statements conditioned on a partition of the table: the keyring's grants. */
function keyRingStatements(statements: readonly Statement[], of: FeedRelayStack): Statement[] {
  const table = logicalIdOf(of, `Tables/${pascalCase(KEY_RING.table)}`);
  return statements.filter(
    (s) => JSON.stringify(s.Resource).includes(`"${table}"`) && JSON.stringify(s).includes('dynamodb:LeadingKeys'),
  );
}

const keyRingStatement = (action: string, of: FeedRelayStack) => ({
  Effect: 'Allow',
  Action: action,
  Resource: { 'Fn::GetAtt': [logicalIdOf(of, `Tables/${pascalCase(KEY_RING.table)}`), 'Arn'] },
  Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [KEY_RING.partition] } },
});

describe('the keyring of the secrets key', () => {
  it('lets the functions that open secrets read a data key, in the keyring partition only', () => {
    for (const path of FUNCTIONS) {
      expect({ path, keyRing: keyRingStatements(statementsOf(template, stack, path), stack) }).toEqual({
        path,
        keyRing: DELIVERING.includes(path) ? [keyRingStatement('dynamodb:GetItem', stack)] : [],
      });
    }
  });

  it('lets the management API, which seals secrets, keep a data key there and nothing more through the keyring', () => {
    expect(keyRingStatements(statementsOf(template, stack, 'Api'), stack)).toEqual([
      keyRingStatement('dynamodb:PutItem', stack),
    ]);
  });

  it('is in the subscriptions table, kept with the secrets when the stack goes, and without TTL', () => {
    const table = template.toJSON().Resources[logicalIdOf(stack, `Tables/${pascalCase(KEY_RING.table)}`)] as {
      DeletionPolicy: string;
      Properties: { TimeToLiveSpecification?: unknown; DeletionProtectionEnabled?: boolean };
    };

    expect(KEY_RING.table).toBe('subscriptions');
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
  });

  it('tells every function that seals or opens where the tables are', () => {
    for (const path of [...DELIVERING, 'Api']) {
      const fn = template.toJSON().Resources[logicalIdOf(stack, path)] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      };
      expect({ path, prefix: fn.Properties.Environment.Variables[AWS_ENV.tablePrefix] }).toEqual({
        path,
        prefix: expect.any(String),
      });
    }
  });

  it('must be the table KEY_RING names', () => {
    const other = stubbedStack({});

    expect(
      () =>
        new SecretsKey(other, 'Other', { keyRing: (other.node.findChild('Tables') as FeedRelayTables).table('steps') }),
    ).toThrow(/the keyring lives in the subscriptions table, not steps/);
  });
});

describe('subscribers’ sink targets', () => {
  it('let the functions that deliver send to the queues of the sinkTargets context, and nothing else does', () => {
    for (const path of FUNCTIONS) {
      const statements = statementsOf(template, stack, path);
      const onTargets = statements.filter((s) =>
        QUEUES_ALLOWED.some((arn) => JSON.stringify(s.Resource).includes(arn)),
      );
      expect({ path, targets: onTargets.flatMap((s) => [s.Action].flat()) }).toEqual({
        path,
        targets: DELIVERING.includes(path) ? ['sqs:SendMessage'] : [],
      });
    }
    for (const path of DELIVERING) {
      const [statement] = statementsOf(template, stack, path).filter((s) =>
        JSON.stringify(s.Resource).includes(QUEUES_ALLOWED[0]!),
      );
      // Besides the stack's own queues (references), exactly the ARN patterns of the context.
      const named = [statement!.Resource].flat().filter((resource) => typeof resource === 'string');
      expect(named.sort()).toEqual([...QUEUES_ALLOWED].sort());
    }
  });

  it('are none by default: the deliver function sends only to its own queue', () => {
    const plain = stubbedStack({});
    const statements = statementsOf(Template.fromStack(plain), plain, 'Deliver');
    const sends = statements.filter((s) => [s.Action].flat().includes('sqs:SendMessage'));

    expect(sends.every((s) => JSON.stringify(s.Resource).includes('"Fn::GetAtt"'))).toBe(true);
    expect([...actionsOn(statements, logicalIdOf(plain, 'DeliverQueue/Queue'))]).toContain('sqs:SendMessage');
  });

  it('are read from the context as JSON, and a pattern that allows any queue anywhere is refused', () => {
    expect(parseSinkTargets(undefined)).toEqual({ sqsQueueArns: [] });
    expect(parseSinkTargets(JSON.stringify({ sqsQueueArns: QUEUES_ALLOWED }))).toEqual({
      sqsQueueArns: QUEUES_ALLOWED,
    });
    expect(() => parseSinkTargets({ sqsQueueArns: ['*'] })).toThrow(/is not an SQS queue ARN/);
    expect(() => parseSinkTargets({ sqsQueueArns: ['arn:aws:sqs:*:*:*'] })).toThrow(/every queue of every account/);
    expect(() => parseSinkTargets({ queues: [] })).toThrow(/unknown field "queues"/);
    expect(() => parseSinkTargets('{not json')).toThrow(/must be JSON/);
  });
});
