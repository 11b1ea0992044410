import { InMemoryArticleStore } from '../../src/adapters/memory/in-memory-article-store.js';
import { InMemoryDataKeyRing } from '../../src/adapters/memory/in-memory-data-key-ring.js';
import { InMemoryFeedStore } from '../../src/adapters/memory/in-memory-feed-store.js';
import { InMemoryHostPoliteness } from '../../src/adapters/memory/in-memory-host-politeness.js';
import { InMemoryRunStore } from '../../src/adapters/memory/in-memory-run-store.js';
import { InMemoryStepLedger } from '../../src/adapters/memory/in-memory-step-ledger.js';
import { InMemorySubscriptionStore } from '../../src/adapters/memory/in-memory-subscription-store.js';
import type { PageBudget } from '../../src/adapters/memory/paginate.js';
import { describeArticleStoreContract } from '../contract/article-store.contract.js';
import { describeDataKeyRingContract } from '../contract/data-key-ring.contract.js';
import { describeFeedStoreContract } from '../contract/feed-store.contract.js';
import { describeHostPolitenessContract } from '../contract/host-politeness.contract.js';
import { describeRunStoreContract } from '../contract/run-store.contract.js';
import { describeStepLedgerContract } from '../contract/step-ledger.contract.js';
import { describeSubscriptionStoreContract } from '../contract/subscription-store.contract.js';

/** Pages as DynamoDB's 1 MB cap may cut them: full, empty, then half full, in turn. */
function shortPages(): PageBudget {
  let call = 0;
  return (limit) => [limit, 0, Math.ceil(limit / 2)][call++ % 3]!;
}

describeFeedStoreContract('InMemoryFeedStore', async () => new InMemoryFeedStore());
describeFeedStoreContract('InMemoryFeedStore with short pages', async () => new InMemoryFeedStore(shortPages()));
describeSubscriptionStoreContract('InMemorySubscriptionStore', async () => new InMemorySubscriptionStore());
describeSubscriptionStoreContract(
  'InMemorySubscriptionStore with short pages',
  async () => new InMemorySubscriptionStore(shortPages()),
);
describeArticleStoreContract('InMemoryArticleStore', async () => new InMemoryArticleStore());
describeStepLedgerContract('InMemoryStepLedger', async () => new InMemoryStepLedger());
describeDataKeyRingContract('InMemoryDataKeyRing', async () => new InMemoryDataKeyRing());
describeRunStoreContract('InMemoryRunStore', async () => new InMemoryRunStore());
describeHostPolitenessContract('InMemoryHostPoliteness', async () => new InMemoryHostPoliteness());
