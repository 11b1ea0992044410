import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loggerOptions } from '../../../src/entrypoints/logger.js';
import { aDeliverMessage } from '../../support/mothers.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino(loggerOptions('info'), stream), text: () => lines.join('') };
}

describe('the logger', () => {
  const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

  it('never prints a secret, wherever it stands in a record', () => {
    // Prepare
    const { logger, text } = capture();
    const message = aDeliverMessage();
    const withSecrets = {
      ...message,
      recipients: message.recipients.map((r) => ({ ...r, secret: SECRET, previousSecret: SECRET })),
    };

    // Act
    logger.info({ secret: SECRET }, 'top');
    logger.info({ subscription: { id: 's', secret: SECRET, previousSecret: SECRET } }, 'nested');
    logger.info({ notification: { subscription: { secret: SECRET } } }, 'deeper');
    logger.info({ message: withSecrets }, 'a deliver message');
    logger.info(withSecrets, 'a deliver message at the top');

    // Assess
    expect(text()).not.toContain(SECRET.slice(6));
    expect(text().match(/\[redacted\]/g)!.length).toBeGreaterThanOrEqual(5);
    expect(text()).toContain(message.recipients[0]!.subscriptionId);
  });
});
