import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddFeeds } from '../../../application/use-cases/add-feeds.js';
import { Subscribe } from '../../../application/use-cases/subscribe.js';
import { SampleFeedServer, type SampleFeed } from '../../local/sample-feeds.js';
import { WebhookReceiver } from '../../local/webhook-receiver.js';
import { parseCommandArgs, rejectStray } from '../args.js';
import type { Output } from '../output.js';
import { runCrawl, type CrawlReport } from '../../local/run-crawl.js';
import { renderReport } from './crawl.js';
import { openFromFlags } from './local.js';
import { newSecret } from './subscriptions.js';

const SAMPLES: SampleFeed[] = [
  { path: '/feeds/engineering.xml', title: 'Engineering notes', format: 'rss', items: 5 },
  { path: '/feeds/releases.atom', title: 'Release announcements', format: 'atom', items: 3 },
  { path: '/feeds/links.json', title: 'Links of the week', format: 'json', items: 4 },
  { path: '/feeds/status.xml', title: 'Status page', format: 'rss', items: 2 },
];

/**
 * `feedrelay demo` (`npm start`): the main job with nothing from outside. Sample feeds and a signature-checking
 * webhook receiver run on loopback; the feeds are imported, two subscribers subscribe, and the crawl runs twice:
 * the second time every feed answers 304 and nothing is delivered twice. Then one feed publishes a new post and
 * a third crawl delivers just that.
 */
export async function demoCommand(args: readonly string[], output: Output): Promise<void> {
  const { values, positionals } = parseCommandArgs('demo', args, {});
  rejectStray('demo', positionals, 'feedrelay demo [--json] [--data-dir DIR]');
  const scratch = typeof values['data-dir'] === 'string' ? undefined : await mkdtemp(join(tmpdir(), 'feedrelay-demo-'));
  const feeds = new SampleFeedServer(SAMPLES.map((s) => ({ ...s })));
  const receiver = new WebhookReceiver();
  await feeds.start();
  await receiver.start();
  const app = await openFromFlags({
    ...values,
    'data-dir': scratch ?? values['data-dir'],
    'allow-network': ['127.0.0.0/8'],
  });
  const say = (line: string) => {
    if (!output.json) output.raw(`${line}\n`);
  };
  try {
    say(
      `feedrelay demo — DynamoDB (dynalite) and SQS (fauxqs) in this process, ${SAMPLES.length} sample feeds on loopback\n`,
    );
    await app.container.get(AddFeeds).execute(feeds.feeds.map((f) => ({ url: feeds.url(f), title: f.title })));
    const subscribers = ['alice', 'bob'];
    await app.container.get(Subscribe).execute(
      subscribers.flatMap((name, i) =>
        feeds.feeds
          .filter((_, f) => f % subscribers.length === i || f === 0)
          .map((feed) => ({
            feedUrl: feeds.url(feed),
            sink: { kind: 'webhook' as const, url: receiver.endpoint(`/hooks/${name}`, secretFor(name)) },
            secret: secretFor(name),
          })),
      ),
    );
    say(
      `imported ${SAMPLES.length} feeds; subscribed ${subscribers.join(' and ')} (signed webhooks, verified on receipt)\n`,
    );

    const runs: { label: string; report: CrawlReport; deliveries: number }[] = [];
    const crawl = async (label: string) => {
      const before = receiver.deliveries.length;
      const report = await runCrawl(app, { force: false });
      runs.push({ label, report, deliveries: receiver.deliveries.length - before });
      say(`${label}\n${renderReport(report)}\n  webhooks received: ${receiver.deliveries.length - before}\n`);
    };
    await crawl('crawl 1: every article is new');
    await crawl('crawl 2: nothing changed — conditional GETs answer 304');
    feeds.feeds[0]!.items += 1;
    await crawl(`crawl 3: "${feeds.feeds[0]!.title}" published one more post`);

    const duplicates = receiver.deliveries.length - receiver.uniqueDeliveries;
    const result = {
      feeds: SAMPLES.length,
      subscribers: subscribers.length,
      runs: runs.map((r) => ({ label: r.label, ...r.report, webhooksReceived: r.deliveries })),
      webhooks: {
        received: receiver.deliveries.length,
        unique: receiver.uniqueDeliveries,
        duplicates,
        badSignatures: receiver.rejected.length,
      },
      feedServer: feeds.requests,
    };
    say(
      `webhooks: ${result.webhooks.received} received, ${duplicates} duplicate(s), ${result.webhooks.badSignatures} bad signature(s); ` +
        `feed server: ${feeds.requests.total} requests, ${feeds.requests.notModified} answered 304`,
    );
    if (output.json) output.result(result, () => '');
    if (duplicates > 0 || receiver.rejected.length > 0) process.exitCode = 1;
  } finally {
    await app.close();
    await feeds.stop();
    await receiver.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

const secrets = new Map<string, string>();
function secretFor(name: string): string {
  if (!secrets.has(name)) secrets.set(name, newSecret());
  return secrets.get(name)!;
}
