import { readFile } from 'node:fs/promises';
import { toFeedDocument, type FeedDocument } from '../../../domain/article.js';
import { FEED_PARSER } from '../../../adapters/http/tokens.js';
import { compose } from '../../container/compose.js';
import { parsingModule } from '../../container/parsing.module.js';
import { parseCommandArgs, rejectStray } from '../args.js';
import { OperationError, UsageError } from '../cli-errors.js';
import type { Output } from '../output.js';
import { PARSE_USAGE } from '../usage.js';
import { renderDocument } from './render.js';

/** `feedrelay parse FILE|-`: one feed document, no network, printed normalized. */
export async function parseCommand(args: readonly string[], output: Output): Promise<void> {
  const { positionals } = parseCommandArgs('parse', args, {});
  rejectStray('parse', positionals.slice(1), PARSE_USAGE);
  if (positionals.length !== 1) throw new UsageError(`parse: expected one FILE or "-", usage: ${PARSE_USAGE}`);
  const file = positionals[0]!;
  let bytes: Buffer;
  try {
    bytes = file === '-' ? await readStdin() : await readFile(file);
  } catch (error) {
    throw new UsageError(
      `parse: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const result = compose(parsingModule()).get(FEED_PARSER).parse({ bytes });
  if (!result.ok) throw new OperationError(result.code, result.message);
  const document: FeedDocument = toFeedDocument(result.feed);
  output.result(document, renderDocument);
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
