import { Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks, type NagPack } from 'cdk-nag';
import type { Stack } from 'aws-cdk-lib';
import { stubbedStack } from './template-queries.js';

/** One finding: a rule a resource breaks, unacknowledged. */
interface Finding {
  readonly severity: string;
  readonly rule: string;
  readonly path: string;
}

/** What cdk-nag's AwsSolutions and Serverless packs find in the synthesized stack, errors and warnings alike. */
function findings(stack: Stack): Finding[] {
  Template.fromStack(stack); // synthesizes: lazy values (policies, alarm actions) are in place
  const packs: NagPack[] = [new AwsSolutionsChecks(), new ServerlessChecks()];
  return packs.flatMap((pack) =>
    pack.validateScope(stack).violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => ({
        severity: violation.severity ?? 'error',
        rule: violation.ruleName,
        path: resource.constructPath ?? '(no construct path)',
      })),
    ),
  );
}

describe('cdk-nag (AwsSolutions and Serverless packs)', () => {
  it('finds nothing unacknowledged in the stack: no error, no warning', () => {
    expect(findings(stubbedStack({ alarmEmail: 'ops@example.com' }))).toEqual([]);
  });

  it('reports a resource that breaks a rule, so that the check above can fail', () => {
    // Prepare: a queue without TLS enforcement or a dead-letter queue.
    const stack = stubbedStack({});
    new Queue(stack, 'Careless');

    // Act
    const found = findings(stack);

    // Assess
    expect(found).toEqual(
      expect.arrayContaining([
        { severity: 'error', rule: 'AwsSolutions-SQS3', path: 'FeedRelay/Careless/Resource' },
        { severity: 'error', rule: 'AwsSolutions-SQS4', path: 'FeedRelay/Careless/Resource' },
      ]),
    );
  });
});
