import type { DeadLetterSink } from '../../application/ports/dead-letters.port.js';
import type { AwsConfig } from '../container/aws-config.js';
import { loadedOnFirstUse } from './first-use.js';

/**
 * The function's dead-letter queues in SQS (`SqsDeadLetterSink` on the URLs of its environment), loaded on
 * first use: a message is seldom dead-lettered, so neither the sink nor the SQS client loads at cold start.
 */
export function lambdaDeadLetterSink(aws: AwsConfig): DeadLetterSink {
  return loadedOnFirstUse<DeadLetterSink>({ park: true }, async () => {
    const [{ SQSClient }, { SqsDeadLetterSink }] = await Promise.all([
      import('@aws-sdk/client-sqs'),
      import('../../adapters/sqs/sqs-dead-letter-sink.js'),
    ]);
    return new SqsDeadLetterSink(new SQSClient({}), aws.deadLetterQueueUrls);
  });
}
