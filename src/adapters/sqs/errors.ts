import { FeedrelayError } from '../../domain/errors.js';
/** A message whose type has no queue: a programming error, not a transient one. */
export class UnroutableMessageError extends FeedrelayError {
  readonly code = 'unroutable_message';
}

/** One message is larger than a whole batch may be; it cannot be sent at all. */
export class MessageTooLargeError extends FeedrelayError {
  readonly code = 'message_too_large';
}

/** Some messages could not be sent: after the retries, or because the request itself failed. */
export class SendFailedError extends FeedrelayError {
  readonly code = 'send_failed';

  constructor(
    message: string,
    /** The entries not sent, each as `<label> (<reason>)`. */
    readonly failures: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A dead letter names a queue that feedrelay does not have, or one whose dead-letter queue is not configured. */
export class DeadLetterQueueUnknownError extends FeedrelayError {
  readonly code = 'dead_letter_queue_unknown';
}
