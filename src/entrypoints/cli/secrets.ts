import { randomBytes } from 'node:crypto';

/** A fresh Standard Webhooks secret. */
export const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;
