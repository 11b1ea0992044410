import { App, Duration, Tags } from 'aws-cdk-lib';
import { FeedRelayStack, DEFAULT_CRAWL_RATE } from './feedrelay-stack.js';
import { parseSinkTargets } from './constructs/sink-targets.js';

/**
 * The CDK app: one `FeedRelay` stack. Context: `crawlRateMinutes` (default 15), e.g.
 * `cdk deploy -c crawlRateMinutes=5`; `sinkTargets`, the subscribers' SQS queues the deliver function may send
 * to, e.g. `-c 'sinkTargets={"sqsQueueArns":["arn:aws:sqs:eu-west-1:123456789012:feedrelay-*"]}'`. Run directly (`tsx infra/app.ts`), it synthesizes into `cdk.out`.
 */
const app = new App({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' });

const stack = new FeedRelayStack(app, 'FeedRelay', {
  description: 'feedrelay: a serverless feed crawler',
  crawlRate: crawlRate(app.node.tryGetContext('crawlRateMinutes')),
  sinkTargets: parseSinkTargets(app.node.tryGetContext('sinkTargets')),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Tags.of(stack).add('project', 'feedrelay');

app.synth();

function crawlRate(minutes: unknown): Duration {
  if (minutes === undefined) return DEFAULT_CRAWL_RATE;
  const value = Number(minutes);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(
      `context crawlRateMinutes must be a whole number of minutes, at least 1, got ${JSON.stringify(minutes)}`,
    );
  }
  return Duration.minutes(value);
}
