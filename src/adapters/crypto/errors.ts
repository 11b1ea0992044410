import { FeedrelayError } from '../../domain/errors.js';
/** A sealed secret that cannot be opened: malformed, sealed for another subscription, or under another key. */
export class SealedSecretError extends FeedrelayError {
  readonly code = 'sealed_secret_unreadable';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
