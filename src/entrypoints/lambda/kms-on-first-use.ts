import type { ContainerModule } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import { compose } from '../container/compose.js';
import { systemModule } from '../container/system.module.js';
import { firstUseModule } from './first-use.js';

/**
 * Webhook secrets sealed and opened with the stack's KMS key (`kmsModule`), the KMS client loaded on the first
 * seal or open: a cold start loads none of it, and the first invocation that seals or opens a secret loads it
 * once (its first `Decrypt` or `GenerateDataKey` would need the client then anyway).
 */
export function kmsOnFirstUse(keyId: string): ContainerModule {
  return firstUseModule(TOKENS.SecretCipher, { seal: true, open: true }, async () => {
    const { kmsModule } = await import('../container/kms.module.js');
    return compose(kmsModule({ keyId }), systemModule()).get(TOKENS.SecretCipher);
  });
}
