import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ListSubscriptions } from '../../../application/use-cases/list-subscriptions.js';
import { Subscribe, type SubscribeInput } from '../../../application/use-cases/subscribe.js';
import { DomainError, excerpt } from '../../../domain/errors.js';
import { acceptFeedUrl, normalizeFeedUrl } from '../../../domain/feed.js';
import { checkSubscriptionInput, type Subscription } from '../../../domain/subscription.js';
import { decodeStrictly, UndecodableTextError } from '../../../adapters/text/strict-decode.js';
import { parseCommandArgs, rejectStray } from '../args.js';
import { UsageError } from '../cli-errors.js';
import type { Output } from '../output.js';
import { withLocalStores } from './local.js';

const USAGE = 'feedrelay subscriptions import FILE.jsonl | list [--feed URL] [--json]';
const SUBSCRIBE_USAGE = 'feedrelay subscribe FEED_URL --webhook URL [--secret whsec_…]';

/** A fresh Standard Webhooks secret. */
export const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

/** `feedrelay subscriptions …`: import (JSONL) and list. */
export async function subscriptionsCommand(args: readonly string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('subscriptions', args, { feed: { type: 'string' } });
  const [action, ...rest] = positionals;
  if (action === 'import') {
    rejectStray('subscriptions import', rest.slice(1), USAGE);
    if (rest.length !== 1) throw new UsageError(`subscriptions import: expected one JSONL file, usage: ${USAGE}`);
    if (values.feed !== undefined)
      throw new UsageError(`subscriptions import: --feed is for list only; usage: ${USAGE}`);
    const inputs = await readJsonl(rest[0]!);
    const result = await withLocalStores(values, (app) => app.container.get(Subscribe).execute(inputs));
    output.result(
      { imported: result.created, existing: inputs.length - result.created, total: inputs.length },
      (r) => `imported ${r.imported} subscription(s) (${r.existing} already present)`,
    );
    return;
  }
  if (action === 'list') {
    rejectStray('subscriptions list', rest, USAGE);
    const feed = values.feed as string | undefined;
    if (feed !== undefined) checkUrl('--feed', feed);
    const list = await withLocalStores(values, async (app) => {
      const all: Subscription[] = [];
      for await (const s of app.container.get(ListSubscriptions).execute(feed)) all.push(s);
      return all;
    });
    output.result({ subscriptions: list.map(describeSubscription), count: list.length }, (r) =>
      [
        ...r.subscriptions.map((s) => `${s.feed}  →  ${s.webhook}${s.status !== 'active' ? `  [${s.status}]` : ''}`),
        `${r.count} subscription(s)`,
      ].join('\n'),
    );
    return;
  }
  throw new UsageError(`subscriptions: expected import or list, usage: ${USAGE}`);
}

/** `feedrelay subscribe FEED_URL --webhook URL [--secret S]`. */
export async function subscribeCommand(args: readonly string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('subscribe', args, {
    webhook: { type: 'string' },
    secret: { type: 'string' },
  });
  rejectStray('subscribe', positionals.slice(1), SUBSCRIBE_USAGE);
  if (positionals.length !== 1 || typeof values.webhook !== 'string') {
    throw new UsageError(`subscribe: usage: ${SUBSCRIBE_USAGE}`);
  }
  const input: SubscribeInput = {
    feedUrl: positionals[0]!,
    sink: { kind: 'webhook', url: values.webhook },
    secret: typeof values.secret === 'string' ? values.secret : newSecret(),
  };
  validate(input, 'subscribe');
  const result = await withLocalStores(values, (app) => app.container.get(Subscribe).execute([input]));
  const subscription = result.subscriptions[0]!;
  output.result(
    {
      subscription: { ...describeSubscription(subscription), secret: subscription.secret },
      created: result.created === 1,
    },
    (r) => `subscribed ${r.subscription.webhook} to ${r.subscription.feed}\nsecret: ${r.subscription.secret}`,
  );
}

const LINE_SHAPE = '{"feed": URL, "webhook": URL, "secret": "whsec_…"}';
const LINE_KEYS = new Set(['feed', 'webhook', 'secret']);

/**
 * Reads and checks a whole JSONL file before anything is written: UTF-8 (a bad byte is an error naming its
 * line), one object per non-blank line with exactly the keys of `LINE_SHAPE`, every URL and secret valid.
 */
async function readJsonl(file: string): Promise<SubscribeInput[]> {
  let text: string;
  try {
    text = decodeStrictly(await readFile(file), 'utf-8');
  } catch (error) {
    if (error instanceof UndecodableTextError) {
      throw new UsageError(
        `${file}: line ${error.line}: bytes that are not valid UTF-8 text; expected UTF-8 JSON lines`,
      );
    }
    throw new UsageError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const inputs: SubscribeInput[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${file}: line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`${where}: not JSON; expected ${LINE_SHAPE}`);
    }
    const record = value as Record<string, unknown>;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UsageError(`${where}: expected an object ${LINE_SHAPE}`);
    }
    const unknown = Object.keys(record).find((key) => !LINE_KEYS.has(key));
    if (unknown !== undefined) {
      throw new UsageError(`${where}: unknown field ${excerpt(unknown, 40)}; expected ${LINE_SHAPE}`);
    }
    if (typeof record.feed !== 'string')
      throw new UsageError(`${where}: "feed" must be a URL string; expected ${LINE_SHAPE}`);
    if (typeof record.webhook !== 'string')
      throw new UsageError(`${where}: "webhook" must be a URL string; expected ${LINE_SHAPE}`);
    if (record.secret !== undefined && typeof record.secret !== 'string')
      throw new UsageError(`${where}: "secret" must be a string "whsec_…"`);
    const input: SubscribeInput = {
      feedUrl: record.feed,
      sink: { kind: 'webhook', url: record.webhook },
      secret: (record.secret as string | undefined) ?? newSecret(),
    };
    validate(input, where);
    inputs.push(input);
  });
  if (inputs.length === 0) throw new UsageError(`${file}: no subscriptions in the file`);
  return inputs;
}

function validate(input: SubscribeInput, where: string): void {
  try {
    acceptFeedUrl(input.feedUrl);
    checkSubscriptionInput(input);
  } catch (error) {
    if (error instanceof DomainError) throw new UsageError(`${where}: ${error.message}`);
    throw error;
  }
}

function checkUrl(flag: string, url: string): void {
  try {
    normalizeFeedUrl(url);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}

export function describeSubscription(s: Subscription) {
  return { id: s.id, feed: s.feedUrl, feedId: s.feedId, webhook: s.sink.url, status: s.status, createdAt: s.createdAt };
}
