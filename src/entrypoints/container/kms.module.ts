import { KMSClient } from '@aws-sdk/client-kms';
import { ContainerModule } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import {
  KMS_CLIENT,
  KMS_SECRET_OPTIONS,
  KmsSecretCipher,
  type KmsSecretOptions,
} from '../../adapters/kms/kms-secret-cipher.js';

/** Webhook secrets sealed and opened with the stack's KMS key (envelope encryption, see `KmsSecretCipher`). */
export function kmsModule(options: KmsSecretOptions, client: KMSClient = new KMSClient({})): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(KMS_CLIENT).toConstantValue(client);
    bind(KMS_SECRET_OPTIONS).toConstantValue(options);
    bind(TOKENS.SecretCipher).to(KmsSecretCipher).inSingletonScope();
  });
}
