import { pino } from 'pino';
import { sqsBatchHandler } from '../../../src/entrypoints/lambda/sqs-batch.js';

describe('sqsBatchHandler', () => {
  it('hands back a message whose step another invocation holds, so deleting it cannot lose the work', async () => {
    // Prepare: the second record finds its step held by someone else.
    const handler = sqsBatchHandler('test', pino({ level: 'silent' }), async (body) =>
      body === 'held' ? { kind: 'skipped', reason: 'busy' } : { kind: 'skipped', reason: 'done' },
    );

    // Act
    const response = await handler({
      Records: [
        { messageId: 'a', body: 'done' },
        { messageId: 'b', body: 'held' },
      ],
    });

    // Assess: a step already done is acknowledged; a held one comes back later.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'b' }]);
  });
});
