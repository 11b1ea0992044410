import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { stubbedStack } from './template-queries.js';

/*
 * `npm run nag`: what cdk-nag's AwsSolutions and Serverless packs find in the stack (stub code, no bundling),
 * one line per rule and resource, then the counts. Acknowledged rules (each with its reason, in infra/) are
 * not findings. test/infra/cdk-nag.test.ts fails on any finding.
 */
const stack = stubbedStack({ alarmEmail: 'ops@example.com' }, { validate: false });
Template.fromStack(stack);
const counts = { error: 0, warning: 0 };
for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
  for (const violation of pack.validateScope(stack).violations) {
    for (const resource of violation.violatingResources) {
      const severity = violation.severity === 'warning' ? 'warning' : 'error';
      counts[severity]++;
      process.stdout.write(`${severity} ${violation.ruleName} ${resource.constructPath}\n`);
    }
  }
}
process.stdout.write(`cdk-nag: ${counts.error} errors, ${counts.warning} warnings\n`);
process.exitCode = counts.error + counts.warning > 0 ? 1 : 0;
