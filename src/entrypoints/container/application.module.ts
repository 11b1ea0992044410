import { ContainerModule } from 'inversify';
import { DeliveryTallies } from '../../application/delivery-tallies.js';
import { PageRelay } from '../../application/page-relay.js';
import { RunRecordsReader } from '../../application/run-records.js';
import { PoliteHosts } from '../../application/polite-hosts.js';
import { StepRunner } from '../../application/step-runner.js';
import { relaySettings, type RelaySettings } from '../../application/settings.js';
import { TOKENS } from '../../application/tokens.js';
import { AddFeeds } from '../../application/use-cases/add-feeds.js';
import { ListFeeds } from '../../application/use-cases/list-feeds.js';
import { ListSubscriptions } from '../../application/use-cases/list-subscriptions.js';
import { RemoveFeeds } from '../../application/use-cases/remove-feeds.js';
import { Subscribe } from '../../application/use-cases/subscribe.js';
import { RotateSubscriptionSecret } from '../../application/use-cases/rotate-subscription-secret.js';
import { FetchFeeds } from '../../application/use-cases/fetch-feeds.js';
import { DeliverBatch } from '../../application/use-cases/deliver-batch.js';
import { ScanFeedsPage } from '../../application/use-cases/scan-feeds-page.js';
import { ScanSubscribersPage } from '../../application/use-cases/scan-subscribers-page.js';
import { StartCrawlRun } from '../../application/use-cases/start-crawl-run.js';
import { StartFanOut } from '../../application/use-cases/start-fan-out.js';
import { SummarizeRun } from '../../application/use-cases/summarize-run.js';
import { ResumeRun } from '../../application/use-cases/resume-run.js';
import { ListRuns } from '../../application/use-cases/list-runs.js';
import { ListDeadLetters, RedriveDeadLetters } from '../../application/use-cases/dead-letter-reports.js';

/** The use cases and the relay, with the settings they run under. */
export function applicationModule(settings: Partial<RelaySettings> = {}): ContainerModule {
  const validated = relaySettings(settings);
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.RelaySettings).toConstantValue(validated);
    bind(StepRunner).toSelf().inSingletonScope();
    bind(PageRelay).toSelf().inSingletonScope();
    bind(StartCrawlRun).toSelf().inSingletonScope();
    bind(ScanFeedsPage).toSelf().inSingletonScope();
    bind(PoliteHosts).toSelf().inSingletonScope();
    bind(FetchFeeds).toSelf().inSingletonScope();
    bind(StartFanOut).toSelf().inSingletonScope();
    bind(ScanSubscribersPage).toSelf().inSingletonScope();
    bind(DeliverBatch).toSelf().inSingletonScope();
    bind(DeliveryTallies).toSelf().inSingletonScope();
    bind(RunRecordsReader).toSelf().inSingletonScope();
    bind(SummarizeRun).toSelf().inSingletonScope();
    bind(ResumeRun).toSelf().inSingletonScope();
    bind(ListRuns).toSelf().inSingletonScope();
    bind(AddFeeds).toSelf().inSingletonScope();
    bind(RemoveFeeds).toSelf().inSingletonScope();
    bind(ListFeeds).toSelf().inSingletonScope();
    bind(Subscribe).toSelf().inSingletonScope();
    bind(RotateSubscriptionSecret).toSelf().inSingletonScope();
    bind(ListSubscriptions).toSelf().inSingletonScope();
    bind(ListDeadLetters).toSelf().inSingletonScope();
    bind(RedriveDeadLetters).toSelf().inSingletonScope();
  });
}
