import { readFile } from 'node:fs/promises';
import { DomainError, excerpt } from '../../../domain/errors.js';
import { acceptFeedUrl, feedIdFor, normalizeFeedUrl } from '../../../domain/feed.js';
import {
  checkSubscriptionInput,
  MAX_ROTATION_GRACE_SECONDS,
  subscriptionIdFor,
  type SinkDescriptor,
} from '../../../domain/subscription.js';
import { decodeStrictly, UndecodableTextError } from '../../../adapters/text/strict-decode.js';
import { parseCommandArgs, rejectStray } from '../args.js';
import { OperationError, UsageError } from '../cli-errors.js';
import { failIfAny } from '../management/batch-failures.js';
import { sinkOf, type SubscriptionRequest } from '../management/management-client.js';
import { TARGET_OPTIONS, TARGET_USAGE, targetOf, withManagementClient } from '../management/target.js';
import type { Output } from '../output.js';
import { newSecret } from '../../secrets.js';
import { describeSubscription, type SubscriptionView } from '../../views.js';

export { newSecret } from '../../secrets.js';
export { describeSubscription } from '../../views.js';

const USAGE = `feedrelay subscriptions import FILE.jsonl | list [--feed URL] [--json] ${TARGET_USAGE} | rotate-secret FEED_URL --webhook URL [--secret whsec_…] [--grace-seconds N] [--json]`;
const SUBSCRIBE_USAGE = `feedrelay subscribe FEED_URL (--webhook URL [--secret whsec_…] | --sqs QUEUE_URL) ${TARGET_USAGE}`;
const ROTATE_USAGE =
  'feedrelay subscriptions rotate-secret FEED_URL --webhook URL [--secret whsec_…] [--grace-seconds N]';

/**
 * `feedrelay subscriptions …`: import (JSONL) and list, on the embedded stack or through a management API;
 * rotate-secret on the embedded stack.
 */
export async function subscriptionsCommand(args: readonly string[], output: Output): Promise<void> {
  if (args[0] === 'rotate-secret') return rotateSecretCommand(args.slice(1), output);
  const { values, positionals } = parseCommandArgs('subscriptions', args, {
    ...TARGET_OPTIONS,
    feed: { type: 'string' },
  });
  const [action, ...rest] = positionals;
  if (action === 'import') {
    rejectStray('subscriptions import', rest.slice(1), USAGE);
    if (rest.length !== 1) throw new UsageError(`subscriptions import: expected one JSONL file, usage: ${USAGE}`);
    if (values.feed !== undefined)
      throw new UsageError(`subscriptions import: --feed is for list only; usage: ${USAGE}`);
    const file = rest[0]!;
    await prewarmLocalStore(values);
    const lines = await readJsonl(file);
    const requests = lines.map((l) => l.request);
    const result = await withManagementClient(values, (client) => client.subscribe(requests));
    const done = requests.length - result.failed.length;
    // A subscription made from lines without a secret got one generated: shown here, once (under the last line
    // naming it), or its receiver could never verify a delivery.
    const generated = new Map<string, { line: number; feed: string; webhook: string; secret: string }>();
    lines.forEach(({ line, request }, i) => {
      const made = result.subscriptions[i];
      if (made === undefined) return;
      generated.delete(made.id);
      if (request.secret !== undefined || made.secret === undefined || made.webhook === undefined) return;
      generated.set(made.id, { line, feed: made.feed, webhook: made.webhook, secret: made.secret });
    });
    const secrets = [...generated.values()];
    const document = {
      imported: result.created,
      existing: done - result.created,
      total: requests.length,
      ...(secrets.length > 0 ? { secrets } : {}),
    };
    failIfAny(result.failed, requests.length, 'subscription(s)', (i) => `${file}: line ${lines[i]!.line}`, document);
    output.result(document, (r) =>
      [
        `imported ${r.imported} subscription(s) (${r.existing} already present)`,
        ...(r.secrets && r.secrets.length > 0
          ? [
              'generated secrets (shown only now):',
              ...r.secrets.map((s) => `  line ${s.line}: ${s.webhook} on ${s.feed}: ${s.secret}`),
            ]
          : []),
      ].join('\n'),
    );
    return;
  }
  if (action === 'list') {
    rejectStray('subscriptions list', rest, USAGE);
    const feed = values.feed as string | undefined;
    if (feed !== undefined) checkUrl('--feed', feed);
    const list = await withManagementClient(values, async (client) => {
      const all: SubscriptionView[] = [];
      for await (const s of client.listSubscriptions(feed)) all.push(s);
      return all;
    });
    output.result({ subscriptions: list, count: list.length }, (r) =>
      [
        ...r.subscriptions.map(
          (s) =>
            `${s.feed}  →  ${s.webhook ?? `sqs ${s.sqs}`}${s.status && s.status !== 'active' ? `  [${s.status}]` : ''}`,
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
    ...TARGET_OPTIONS,
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
  const request: SubscriptionRequest = {
    feedUrl: positionals[0]!,
    ...(webhook !== undefined ? { webhook } : { sqs: sqs! }),
    ...(typeof values.secret === 'string' ? { secret: values.secret } : {}),
  };
  validate(request, 'subscribe');
  const result = await withManagementClient(values, (client) => client.subscribe([request]));
  const [failure] = result.failed;
  if (failure) {
    throw new OperationError(
      failure.code,
      failure.message,
      failure.status !== undefined ? { status: failure.status } : {},
    );
  }
  const subscription = result.subscriptions[0]!;
  output.result(
    { subscription, created: result.created === 1 },
    (r) =>
      `subscribed ${r.subscription.webhook ?? `sqs ${r.subscription.sqs}`} to ${r.subscription.feed}` +
      (r.subscription.secret
        ? `\nsecret: ${r.subscription.secret}`
        : r.subscription.webhook !== undefined && !r.created
          ? '\nalready subscribed: the secret was shown when the subscription was created'
          : ''),
  );
}

/** `feedrelay subscriptions rotate-secret`: a new secret, the previous one still signing for a grace period. */
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
  const sink = checkedSink({ feedUrl, webhook: values.webhook, secret }, 'subscriptions rotate-secret');
  const feedId = feedIdFor(feedUrl);
  // Loaded when needed (an import does without them), one after the other: they share most of their modules.
  const { withLocalApp } = await import('./local.js');
  const { RotateSubscriptionSecret } = await import('../../../application/use-cases/rotate-subscription-secret.js');
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

/**
 * On the embedded stack, has its DynamoDB thread load while this one reads and checks the file (it touches no
 * file until the tables are opened, after the check). Elsewhere, or with flags that the target will refuse,
 * nothing.
 */
async function prewarmLocalStore(values: Record<string, unknown>): Promise<void> {
  let local: boolean;
  try {
    local = targetOf(values).kind === 'local';
  } catch {
    return;
  }
  if (local) (await import('../../local/dynalite-thread.js')).prewarmDynaliteThread();
}

const LINE_SHAPE = '{"feed": URL, "webhook": URL, "secret"?: "whsec_…"} or {"feed": URL, "sqs": QUEUE_URL}';
const LINE_KEYS = new Set(['feed', 'webhook', 'secret', 'sqs']);

/**
 * Reads and checks a whole JSONL file before anything is written: UTF-8 (a bad byte is an error naming its
 * line), one object per non-blank line with exactly the keys of `LINE_SHAPE`, every URL and secret valid.
 */
async function readJsonl(file: string): Promise<{ line: number; request: SubscriptionRequest }[]> {
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
  const inputs: { line: number; request: SubscriptionRequest }[] = [];
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
    const target = record.webhook !== undefined ? 'webhook' : 'sqs';
    if (typeof record[target] !== 'string')
      throw new UsageError(`${where}: "${target}" must be a URL string; expected ${LINE_SHAPE}`);
    if (record.secret !== undefined && typeof record.secret !== 'string')
      throw new UsageError(`${where}: "secret" must be a string "whsec_…"`);
    if (record.sqs !== undefined && record.secret !== undefined)
      throw new UsageError(`${where}: "secret" signs webhooks only, not "sqs" deliveries`);
    const request: SubscriptionRequest = {
      feedUrl: record.feed,
      ...(target === 'webhook' ? { webhook: record.webhook as string } : { sqs: record.sqs as string }),
      ...(typeof record.secret === 'string' ? { secret: record.secret } : {}),
    };
    validate(request, where);
    inputs.push({ line: index + 1, request });
  });
  if (inputs.length === 0) throw new UsageError(`${file}: no subscriptions in the file`);
  return inputs;
}

/** Stands in for a secret a request leaves to be generated: a generated one is always valid. */
let generatedSecret: string | undefined;

/** Checks a request as the embedded stack will (a missing secret will be a generated one, always valid). */
function validate(request: SubscriptionRequest, where: string): void {
  generatedSecret ??= newSecret();
  checkedSink(
    request.webhook !== undefined && request.secret === undefined ? { ...request, secret: generatedSecret } : request,
    where,
  );
}

/** Feed URLs found acceptable: a file names the same few feeds on thousands of lines. */
const acceptedFeedUrls = new Set<string>();

/** The sink a request names, checked; a bad URL or secret is a usage error naming `where`. */
function checkedSink(request: SubscriptionRequest, where: string): SinkDescriptor {
  try {
    if (!acceptedFeedUrls.has(request.feedUrl)) {
      acceptFeedUrl(request.feedUrl);
      if (acceptedFeedUrls.size >= 10_000) acceptedFeedUrls.clear();
      acceptedFeedUrls.add(request.feedUrl);
    }
    return checkSubscriptionInput({
      feedUrl: request.feedUrl,
      sink: sinkOf(request),
      ...(request.webhook !== undefined ? { secret: request.secret ?? newSecret() } : {}),
    });
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
