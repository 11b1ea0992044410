import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ListSubscriptions } from '../../../application/use-cases/list-subscriptions.js';
import { RotateSubscriptionSecret } from '../../../application/use-cases/rotate-subscription-secret.js';
import { Subscribe, type SubscribeInput } from '../../../application/use-cases/subscribe.js';
import { DomainError, excerpt } from '../../../domain/errors.js';
import { acceptFeedUrl, feedIdFor, normalizeFeedUrl } from '../../../domain/feed.js';
import {
  checkSubscriptionInput,
  MAX_ROTATION_GRACE_SECONDS,
  newSigningSecret,
  subscriptionIdFor,
  type SinkDescriptor,
  type Subscription,
} from '../../../domain/subscription.js';
import { decodeStrictly, UndecodableTextError } from '../../../adapters/text/strict-decode.js';
import { parseCommandArgs, rejectStray } from '../args.js';
import { UsageError } from '../cli-errors.js';
import type { Output } from '../output.js';
import { withLocalApp } from './local.js';

const USAGE =
  'feedrelay subscriptions import FILE.jsonl | list [--feed URL] | rotate-secret FEED_URL --webhook URL [--secret whsec_…] [--grace-seconds N] [--json]';
const SUBSCRIBE_USAGE = 'feedrelay subscribe FEED_URL (--webhook URL [--secret whsec_…] | --sqs QUEUE_URL)';
const ROTATE_USAGE =
  'feedrelay subscriptions rotate-secret FEED_URL --webhook URL [--secret whsec_…] [--grace-seconds N]';

/** A fresh Standard Webhooks secret. */
export const newSecret = (): string => newSigningSecret(randomBytes);

/** `feedrelay subscriptions …`: import (JSONL), list and rotate-secret. */
export async function subscriptionsCommand(args: readonly string[], output: Output): Promise<void> {
  if (args[0] === 'rotate-secret') return rotateSecretCommand(args.slice(1), output);
  const { values, positionals } = parseCommandArgs('subscriptions', args, { feed: { type: 'string' } });
  const [action, ...rest] = positionals;
  if (action === 'import') {
    rejectStray('subscriptions import', rest.slice(1), USAGE);
    if (rest.length !== 1) throw new UsageError(`subscriptions import: expected one JSONL file, usage: ${USAGE}`);
    if (values.feed !== undefined)
      throw new UsageError(`subscriptions import: --feed is for list only; usage: ${USAGE}`);
    const inputs = await readJsonl(rest[0]!);
    const result = await withLocalApp(values, (app) => app.container.get(Subscribe).execute(inputs));
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
    const list = await withLocalApp(values, async (app) => {
      const all: Subscription[] = [];
      for await (const s of app.container.get(ListSubscriptions).execute(feed)) all.push(s);
      return all;
    });
    output.result({ subscriptions: list.map(describeSubscription), count: list.length }, (r) =>
      [
        ...r.subscriptions.map(
          (s) => `${s.feed}  →  ${s.webhook ?? `sqs ${s.sqs}`}${s.status !== 'active' ? `  [${s.status}]` : ''}`,
        ),
        `${r.count} subscription(s)`,
      ].join('\n'),
    );
    return;
  }
  throw new UsageError(`subscriptions: expected import, list or rotate-secret, usage: ${USAGE}`);
}

/**
 * `feedrelay subscribe FEED_URL (--webhook URL [--secret S] | --sqs QUEUE_URL)`. A webhook's secret (given or
 * generated) is printed when the subscription is created, and never again: it is stored sealed.
 */
export async function subscribeCommand(args: readonly string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('subscribe', args, {
    webhook: { type: 'string' },
    sqs: { type: 'string' },
    secret: { type: 'string' },
  });
  rejectStray('subscribe', positionals.slice(1), SUBSCRIBE_USAGE);
  const webhook = typeof values.webhook === 'string' ? values.webhook : undefined;
  const sqs = typeof values.sqs === 'string' ? values.sqs : undefined;
  if (positionals.length !== 1 || (webhook === undefined) === (sqs === undefined)) {
    throw new UsageError(`subscribe: give one of --webhook and --sqs; usage: ${SUBSCRIBE_USAGE}`);
  }
  if (sqs !== undefined && values.secret !== undefined) {
    throw new UsageError(`subscribe: --secret signs webhooks only, not --sqs deliveries; usage: ${SUBSCRIBE_USAGE}`);
  }
  const input: SubscribeInput =
    webhook !== undefined
      ? {
          feedUrl: positionals[0]!,
          sink: { kind: 'webhook', url: webhook },
          secret: typeof values.secret === 'string' ? values.secret : newSecret(),
        }
      : { feedUrl: positionals[0]!, sink: { kind: 'sqs', url: sqs! } };
  validate(input, 'subscribe');
  const result = await withLocalApp(values, (app) => app.container.get(Subscribe).execute([input]));
  const subscription = result.subscriptions[0]!;
  const created = result.created === 1;
  const shown = created && input.secret !== undefined ? { secret: input.secret } : {};
  output.result({ subscription: { ...describeSubscription(subscription), ...shown }, created }, (r) =>
    [
      `${created ? 'subscribed' : 'already subscribed:'} ${r.subscription.webhook ?? `sqs ${r.subscription.sqs}`} to ${r.subscription.feed}`,
      ...(r.subscription.secret !== undefined ? [`secret: ${r.subscription.secret}`] : []),
    ].join('\n'),
  );
}

/**
 * `feedrelay subscriptions rotate-secret FEED_URL --webhook URL [--secret S] [--grace-seconds N]`: a new
 * secret (given or generated, printed once), the previous one still signing for the grace period.
 */
async function rotateSecretCommand(args: readonly string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('subscriptions rotate-secret', args, {
    webhook: { type: 'string' },
    secret: { type: 'string' },
    'grace-seconds': { type: 'string' },
  });
  rejectStray('subscriptions rotate-secret', positionals.slice(1), ROTATE_USAGE);
  if (positionals.length !== 1 || typeof values.webhook !== 'string') {
    throw new UsageError(`subscriptions rotate-secret: usage: ${ROTATE_USAGE}`);
  }
  const feedUrl = positionals[0]!;
  const secret = typeof values.secret === 'string' ? values.secret : newSecret();
  const grace = values['grace-seconds'];
  const graceSeconds = typeof grace === 'string' ? Number(grace) : undefined;
  if (
    typeof grace === 'string' &&
    (!/^\d+$/.test(grace) || !Number.isSafeInteger(graceSeconds) || graceSeconds! > MAX_ROTATION_GRACE_SECONDS)
  ) {
    throw new UsageError(
      `subscriptions rotate-secret: --grace-seconds must be a whole number of seconds from 0 to ${MAX_ROTATION_GRACE_SECONDS}, not ${excerpt(grace, 20)}`,
    );
  }
  // The subscription is named as it was created: its feed and webhook URL.
  const sink: SinkDescriptor = validate(
    { feedUrl, sink: { kind: 'webhook', url: values.webhook }, secret },
    'subscriptions rotate-secret',
  );
  const feedId = feedIdFor(feedUrl);
  const result = await withLocalApp(values, (app) =>
    app.container.get(RotateSubscriptionSecret).execute({
      feedId,
      subscriptionId: subscriptionIdFor(feedId, sink),
      secret,
      ...(graceSeconds !== undefined ? { graceSeconds } : {}),
    }),
  );
  output.result(
    {
      subscription: { ...describeSubscription(result.subscription), secret: result.secret },
      previousSecretValidUntil: result.previousSecretUntil ?? null,
    },
    (r) =>
      [
        `rotated the secret of ${r.subscription.webhook} on ${r.subscription.feed}`,
        `secret: ${r.subscription.secret}`,
        r.previousSecretValidUntil !== null
          ? `the previous secret still signs until ${r.previousSecretValidUntil}`
          : 'the previous secret no longer signs',
      ].join('\n'),
  );
}

const LINE_SHAPE = '{"feed": URL, "webhook": URL, "secret"?: "whsec_…"} or {"feed": URL, "sqs": QUEUE_URL}';
const LINE_KEYS = new Set(['feed', 'webhook', 'secret', 'sqs']);

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
    if ((record.webhook === undefined) === (record.sqs === undefined))
      throw new UsageError(`${where}: give one of "webhook" and "sqs"; expected ${LINE_SHAPE}`);
    if (record.webhook !== undefined && typeof record.webhook !== 'string')
      throw new UsageError(`${where}: "webhook" must be a URL string; expected ${LINE_SHAPE}`);
    if (record.sqs !== undefined && typeof record.sqs !== 'string')
      throw new UsageError(`${where}: "sqs" must be a queue URL string; expected ${LINE_SHAPE}`);
    if (record.secret !== undefined && typeof record.secret !== 'string')
      throw new UsageError(`${where}: "secret" must be a string "whsec_…"`);
    if (record.sqs !== undefined && record.secret !== undefined)
      throw new UsageError(`${where}: "secret" signs webhooks only, not "sqs" deliveries`);
    const input: SubscribeInput =
      typeof record.webhook === 'string'
        ? {
            feedUrl: record.feed,
            sink: { kind: 'webhook', url: record.webhook },
            secret: (record.secret as string | undefined) ?? newSecret(),
          }
        : { feedUrl: record.feed, sink: { kind: 'sqs', url: record.sqs as string } };
    validate(input, where);
    inputs.push(input);
  });
  if (inputs.length === 0) throw new UsageError(`${file}: no subscriptions in the file`);
  return inputs;
}

function validate(input: SubscribeInput, where: string): SinkDescriptor {
  try {
    acceptFeedUrl(input.feedUrl);
    return checkSubscriptionInput(input);
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

/** A subscription as the CLI prints it: never a secret (the one to show is added where it is shown). */
export function describeSubscription(s: Subscription): {
  id: string;
  feed: string;
  feedId: string;
  webhook?: string;
  sqs?: string;
  status: string;
  createdAt: string;
  secret?: string;
} {
  return {
    id: s.id,
    feed: s.feedUrl,
    feedId: s.feedId,
    ...(s.sink.kind === 'webhook' ? { webhook: s.sink.url } : { sqs: s.sink.url }),
    status: s.status,
    createdAt: s.createdAt,
  };
}
