import { pooledRandomBytes } from '../adapters/crypto/random-pool.js';
import { newSigningSecret } from '../domain/subscription.js';

/** A fresh Standard Webhooks signing secret (`whsec_` and random bytes in base64), for the CLI and the API. */
export const newSecret = (): string => newSigningSecret(pooledRandomBytes);
