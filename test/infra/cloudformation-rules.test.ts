import { Template } from 'aws-cdk-lib/assertions';
import type { FeedRelayStackProps } from '../../infra/feedrelay-stack.js';
import { stubbedStack } from './template-queries.js';

/**
 * CDK's built-in CloudFormation rules, run at synth as `cdk synth` runs them (cdk.json's
 * `validateAgainstDefaultRules` makes any finding an error), on the stacks the other infra tests read: the
 * default one and a production stage with alarm mail. The rules load once here rather than in every test file.
 */
const STACKS: [string, Omit<FeedRelayStackProps, 'code'>][] = [
  ['the default stack', {}],
  ['the prod stage with alarm mail', { stage: 'prod', alarmEmail: 'ops@example.com' }],
];

describe("CloudFormation's default rules", () => {
  it.each(STACKS)('find nothing in %s', (_name, props) => {
    expect(() => Template.fromStack(stubbedStack(props, { validate: true }))).not.toThrow();
  });
});
