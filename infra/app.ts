import { App, Tags } from 'aws-cdk-lib';
import { FeedRelayStack } from './feedrelay-stack.js';
import { parseSinkTargets } from './constructs/sink-targets.js';
import { readStageSettings } from './stage-settings.js';

/**
 * The CDK app: one feedrelay stack per stage. `-c stage=prod` deploys `FeedRelay-prod` (no stage: `FeedRelay`);
 * its settings come from `stages.prod` in cdk.json and from `-c` keys (`crawlRateMinutes`, `maxConcurrency`,
 * `feedPageSize`, `subscriberPageSize`, `allowedNetworks`, `alarmEmail`, `oldestMessageAlarmMinutes`,
 * `sinkTargets`: the subscribers' SQS queues the deliver function may send to; see
 * infra/stage-settings.ts and the README). Run directly (`tsx infra/app.ts`), it synthesizes into `cdk.out`.
 */
const app = new App({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' });
const settings = readStageSettings((key) => app.node.tryGetContext(key));

const stack = new FeedRelayStack(app, settings.stackName, {
  description: `feedrelay (${settings.stage}): a serverless feed crawler`,
  stage: settings.stage,
  crawlRate: settings.crawlRate,
  maxConcurrency: settings.maxConcurrency,
  functionEnvironment: settings.functionEnvironment,
  oldestMessageAge: settings.oldestMessageAge,
  ...(settings.alarmEmail !== undefined ? { alarmEmail: settings.alarmEmail } : {}),
  sinkTargets: parseSinkTargets(app.node.tryGetContext('sinkTargets')),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Tags.of(stack).add('project', 'feedrelay');
Tags.of(stack).add('stage', settings.stage);

app.synth();
