import { FeedrelayError } from '../../domain/errors.js';
/** Some events could not be published, after the retries or because the request itself failed. */
export class PublishFailedError extends FeedrelayError {
  readonly code = 'publish_failed';

  constructor(
    message: string,
    /** The events not published, each as `<eventId> (<reason>)`. */
    readonly failures: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PublishFailedError';
  }
}
