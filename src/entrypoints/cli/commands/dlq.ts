import {
  ListDeadLetters,
  RedriveDeadLetters,
  type DeadLetterListing,
  type DeadLetterRedrive,
} from '../../../application/use-cases/dead-letter-reports.js';
import { QUEUES } from '../../../adapters/aws-resources.js';
import { localDeadLetters } from '../../local/dead-letter-file.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../cli-errors.js';
import { DLQ_USAGE } from '../usage.js';
import type { Output } from '../output.js';
import { dataDirOf, withLocalApp } from './local.js';

const QUEUE_NAMES = Object.values(QUEUES).map((queue) => queue.name);

/**
 * `feedrelay dlq list|redrive [--queue NAME]`: the dead letters of the embedded stack, kept in
 * `<data-dir>/dead-letters.jsonl`. `list` only reads that file (it works while `serve` runs); `redrive` opens
 * the stack, puts the letters back on their source queues and works the queues until they are idle, so what
 * was redriven has been processed (or dead-lettered again) when it returns.
 */
export async function dlqCommand(args: readonly string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('dlq', args, { queue: { type: 'string' } });
  const [action, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`dlq: unexpected argument "${rest[0]}", usage: ${DLQ_USAGE}`);
  const queue = queueOf(values.queue);
  switch (action) {
    case 'list': {
      const listing = await new ListDeadLetters(localDeadLetters(dataDirOf(values))).execute(QUEUE_NAMES, queue);
      output.result(listing, renderListing);
      return;
    }
    case 'redrive': {
      const result = await withLocalApp(values, async (app) => {
        const redrive = await app.container.get(RedriveDeadLetters).execute(queue);
        if (redrive.total > 0) {
          app.runtime.start();
          await app.runtime.waitForIdle({ timeoutMs: 24 * 60 * 60 * 1000 });
        }
        return redrive;
      });
      output.result(result, renderRedrive);
      return;
    }
    default:
      throw new UsageError(
        action === undefined
          ? `dlq: expected list or redrive, usage: ${DLQ_USAGE}`
          : `dlq: unknown action "${action}", usage: ${DLQ_USAGE}`,
      );
  }
}

function queueOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const name = String(value);
  if (!QUEUE_NAMES.includes(name)) {
    throw new UsageError(`--queue must be one of ${QUEUE_NAMES.join(', ')}; got ${JSON.stringify(name)}`);
  }
  return name;
}

function renderListing(listing: DeadLetterListing): string {
  const lines: string[] = [];
  for (const { queue, count, deadLetters } of listing.queues) {
    lines.push(`${queue}: ${count} dead letter(s)`);
    for (const letter of deadLetters) {
      lines.push(`  ${letter.messageId}  first seen ${letter.firstSeenAt}  ${letter.reason}`);
      lines.push(`    ${letter.preview.replace(/\s+/g, ' ')}`);
    }
  }
  lines.push(`${listing.total} dead letter(s)`);
  return lines.join('\n');
}

function renderRedrive(result: DeadLetterRedrive): string {
  if (result.total === 0) return 'nothing to redrive';
  const byQueue = Object.entries(result.redriven)
    .map(([queue, count]) => `${queue} ${count}`)
    .join(', ');
  return `redrove ${result.total} dead letter(s) (${byQueue}) and worked the queues until idle; "feedrelay dlq list" shows any that failed again`;
}
