import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { KEY_RING } from '../../src/adapters/aws-resources.js';
import { tableNames } from '../../src/adapters/dynamodb/dynamodb-tables.js';
import { TOKENS } from '../../src/application/tokens.js';
import type { SecretCipher } from '../../src/application/ports/secret-cipher.port.js';
import { compose } from '../../src/entrypoints/container/compose.js';
import { kmsModule } from '../../src/entrypoints/container/kms.module.js';
import { systemModule } from '../../src/entrypoints/container/system.module.js';
import { fakeKms } from '../support/fake-kms.js';
import { freshStack, startDynalite, type LocalDynamo } from './support/dynalite.js';

const KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/secrets';

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.close();
});

/** Fresh tables of a stack of their own: its table prefix. */
async function aStack(): Promise<string> {
  return (await freshStack(dynamo, [KEY_RING.table])).prefix;
}

/** The cipher as a Lambda function composes it (`kmsOnFirstUse`), on the given KMS and tables. */
function cipherOf(kms: ReturnType<typeof fakeKms>, tablePrefix: string): SecretCipher {
  return compose(kmsModule({ keyId: KEY_ID }, { tablePrefix, client: dynamo.client }, kms.client), systemModule()).get(
    TOKENS.SecretCipher,
  );
}

describe('the KMS cipher as the Lambda functions compose it', () => {
  it('keeps its data key in the keyring partition of the subscriptions table, where another function reads it', async () => {
    // Prepare
    const kms = fakeKms();
    const prefix = await aStack();
    const sealer = cipherOf(kms, prefix);

    // Act
    const sealed = await Promise.all([sealer.seal('whsec_b25l', 'sub-1'), sealer.seal('whsec_dHdv', 'sub-2')]);
    const opener = cipherOf(kms, prefix);
    const opened = await Promise.all([opener.open(sealed[0]!, 'sub-1'), opener.open(sealed[1]!, 'sub-2')]);

    // Assess
    expect(opened).toEqual(['whsec_b25l', 'whsec_dHdv']);
    expect(kms.calls).toEqual({ GenerateDataKey: 1, Decrypt: 1 });
    const keyId = sealed[0]!.split('.')[2]!;
    const { Item } = await dynamo.doc.send(
      new GetCommand({
        TableName: tableNames(prefix)[KEY_RING.table],
        Key: { feedShard: KEY_RING.partition, subscriptionId: keyId },
      }),
    );
    expect(Object.keys(Item!).sort()).toEqual(['encryptedKey', 'feedShard', 'subscriptionId']);
  });

  it("refuses a secret whose data key is not in its stack's keyring, naming the key", async () => {
    // Prepare
    const kms = fakeKms();
    const sealed = await cipherOf(kms, await aStack()).seal('whsec_b25l', 'sub-1');
    const elsewhere = cipherOf(kms, await aStack());

    // Act
    const opened = elsewhere.open(sealed, 'sub-1');

    // Assess
    await expect(opened).rejects.toThrow(`data key ${sealed.split('.')[2]} of a sealed secret is not in the keyring`);
    expect(kms.calls.Decrypt).toBe(0);
  });
});
