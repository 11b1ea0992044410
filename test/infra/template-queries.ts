import { readFileSync } from 'node:fs';
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Code } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { FeedRelayStack, type FeedRelayStackProps } from '../../infra/feedrelay-stack.js';

/** Stands in for the bundled handlers, so that a synth takes no esbuild run. */
export const STUB_CODE = Code.fromInline('export const handler = async () => ({ batchItemFailures: [] });');

/** The context `cdk synth` runs with (feature flags included), so that the tests see what is deployed. */
export function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * The stack with stub code. `validate` runs CDK's built-in CloudFormation rules at synth (with cdk.json's
 * `validateAgainstDefaultRules` a finding fails the synth): loading the rules takes seconds in each test file,
 * so only cloudformation-rules.test.ts validates, every stage's stack.
 */
export function stubbedStack(
  props: Omit<FeedRelayStackProps, 'code'> = {},
  options: { readonly validate?: boolean } = {},
): FeedRelayStack {
  const app = new App({ context: cdkContext(), builtinCloudFormationValidation: options.validate ?? false });
  return new FeedRelayStack(app, 'FeedRelay', { ...props, code: STUB_CODE });
}

/** The logical ID of the CloudFormation resource behind the construct at `path` (`ScanFeeds`, `Tables/Feeds`). */
export function logicalIdOf(stack: Stack, path: string): string {
  let construct: IConstruct = stack;
  for (const id of path.split('/')) construct = construct.node.findChild(id);
  const resource = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.getLogicalId(resource);
}

export type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** Every statement of the policies attached to the role of the function at `functionPath`. */
export function statementsOf(template: Template, stack: Stack, functionPath: string): Statement[] {
  const fn = template.toJSON().Resources[logicalIdOf(stack, functionPath)] as {
    Properties: { Role: { 'Fn::GetAtt': [string, string] } };
  };
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
    Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } };
  }[];
  return policies
    .filter((policy) => policy.Properties.Roles.some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** The actions the statements allow on the resource with this logical ID (its ARN, or an ARN built from it). */
export function actionsOn(statements: readonly Statement[], logicalId: string): Set<string> {
  const actions = new Set<string>();
  for (const statement of statements) {
    if (statement.Effect !== 'Allow') continue;
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    if (!resources.some((resource) => JSON.stringify(resource).includes(`"${logicalId}"`))) continue;
    for (const action of [statement.Action].flat()) actions.add(action);
  }
  return actions;
}

/** The actions of a service (`dynamodb:`, `sqs:`) allowed on any resource at all. */
export function actionsOfService(statements: readonly Statement[], prefix: string): string[] {
  return statements
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) => [statement.Action].flat())
    .filter((action) => action.startsWith(prefix));
}
