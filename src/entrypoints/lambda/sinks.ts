import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ContainerModule } from 'inversify';
import type { NotificationSink } from '../../application/ports/notification-sink.port.js';
import { TOKENS } from '../../application/tokens.js';
import { compose } from '../container/compose.js';
import { requireSecretsKey } from '../container/aws-config.js';
import { systemModule } from '../container/system.module.js';
import type { LambdaEnvironment } from './cold-start.js';
import { kmsOnFirstUse } from './adapters-on-first-use.js';
import { loadedOnFirstUse } from './first-use.js';

/**
 * Every notification sink, each loaded on its first delivery: for the fan-out functions, which deliver only
 * when a page's recipients make a lone part (`ScanSubscribersPage`), so that a cold start loads neither the
 * webhook signing nor KMS nor a second SQS client.
 */
export function sinksOnFirstUseModule({ settings, aws }: LambdaEnvironment, dynamodb: DynamoDBClient): ContainerModule {
  const keyId = requireSecretsKey(aws);
  const webhook = sinkOnFirstUse('webhook', async () => {
    const { webhookModule } = await import('../container/webhook.module.js');
    return compose(
      webhookModule(settings.webhook),
      kmsOnFirstUse(keyId, aws.tablePrefix, dynamodb),
      systemModule(),
    ).get(TOKENS.NotificationSink);
  });
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.NotificationSink).toConstantValue(webhook);
    bind(TOKENS.NotificationSink).toConstantValue(sqsSinkOnFirstUse());
  });
}

/** The SQS sink (`sqsSinkModule`, a client per region), loaded when the first recipient is a queue. */
export function sqsSinkOnFirstUse(): NotificationSink {
  return sinkOnFirstUse('sqs', async () => {
    const [{ SQSClient }, { sqsSinkModule }] = await Promise.all([
      import('@aws-sdk/client-sqs'),
      import('../container/sqs-sink.module.js'),
    ]);
    const clientFor = (region: string | undefined) => new SQSClient(region ? { region } : {});
    return compose(sqsSinkModule({ localOrigins: [], clientFor }), systemModule()).get(TOKENS.NotificationSink);
  });
}

/** A sink of `kind`, loaded by `load` on its first delivery; a sink of another kind is refused when it loads. */
function sinkOnFirstUse(kind: string, load: () => Promise<NotificationSink>): NotificationSink {
  const { deliver } = loadedOnFirstUse<NotificationSink>({ deliver: true }, async () => {
    const sink = await load();
    if (sink.kind !== kind) throw new Error(`the sink loaded as ${kind} is of kind ${sink.kind}`);
    return sink;
  });
  return { kind, deliver };
}
