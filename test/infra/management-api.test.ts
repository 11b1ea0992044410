import { Match, Template } from 'aws-cdk-lib/assertions';
import { QUEUES, TABLES, type QueueKey, type TableName } from '../../src/adapters/aws-resources.js';
import { pascalCase } from '../../infra/constructs/feedrelay-tables.js';
import type { FeedRelayStack } from '../../infra/feedrelay-stack.js';
import { actionsOfService, actionsOn, logicalIdOf, statementsOf, stubbedStack } from './template-queries.js';

let stack: FeedRelayStack;
let template: Template;

beforeAll(() => {
  stack = stubbedStack({});
  template = Template.fromStack(stack);
});

const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan'];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const ALL = [...READ_ACTIONS, ...WRITE_ACTIONS];

/**
 * What the API's routes read and write: feeds and subscriptions in full; runs, their step records and the
 * articles of discoveries as a start needs them (StartCrawlRun, and ResumeRun for the runs before it), which is
 * also what a summary reads.
 */
const TABLE_ACTIONS: Record<TableName, readonly string[]> = {
  feeds: ALL,
  subscriptions: ALL,
  runs: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  steps: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  articles: ['dynamodb:Query'],
};

describe('ManagementApi', () => {
  it('creates one HTTP API', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
  });

  it('requires IAM authorization on every route, and proxies every path to the API function', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as {
      Properties: { AuthorizationType?: string; RouteKey: string };
    }[];

    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(['ANY /', 'ANY /{proxy+}']);
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [logicalIdOf(stack, 'Api'), 'Arn'] },
    });
  });

  it('serves the $default stage, deployed automatically, throttled, with JSON access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalIdOf(stack, 'ManagementApi/AccessLogs'), 'Arn'] },
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('lets API Gateway invoke the API function', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [logicalIdOf(stack, 'Api'), 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
    });
  });

  it('outputs the API URL', () => {
    const outputs = template.findOutputs('ApiUrl');

    expect(Object.keys(outputs)).toHaveLength(1);
    expect(JSON.stringify(outputs.ApiUrl!.Value)).toContain(logicalIdOf(stack, 'ManagementApi/HttpApi'));
  });
});

describe('the API function', () => {
  it('runs on Node.js 24 on arm64 within API Gateway’s 30 s', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('management API'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 29,
    });
  });

  it.each(Object.keys(TABLES) as TableName[])('has exactly the access its routes need to the %s table', (key) => {
    const actions = actionsOn(statementsOf(template, stack, 'Api'), logicalIdOf(stack, `Tables/${pascalCase(key)}`));
    const expected = TABLE_ACTIONS[key];

    for (const action of ALL)
      expect({ action, allowed: actions.has(action) }).toEqual({ action, allowed: expected.includes(action) });
  });

  it('sends what a start sends (first scan pages, and lost work a resume sends again), and receives from no queue', () => {
    const statements = statementsOf(template, stack, 'Api');
    for (const key of Object.keys(QUEUES) as QueueKey[]) {
      const queue = `${pascalCase(QUEUES[key].name)}Queue`;
      const actions = actionsOn(statements, logicalIdOf(stack, `${queue}/Queue`));
      expect({ key, sends: actions.has('sqs:SendMessage') }).toEqual({ key, sends: key !== 'startFanOut' });
      expect(actions.has('sqs:ReceiveMessage')).toBe(false);
      expect([...actionsOn(statements, logicalIdOf(stack, `${queue}/DeadLetterQueue`))]).toEqual([]);
    }
    expect(actionsOfService(statements, 'events:')).toEqual([]);
  });
});
