import { FeedrelayError } from '../domain/errors.js';

/** A request the application refuses as it stands (unknown id, bad settings, a bad message): retrying cannot help. */
export abstract class ApplicationError extends FeedrelayError {
  override readonly permanent = true;
}

/** A queue message that is not one of ours, or not of the version we read. Retrying cannot help. */
export class InvalidMessageError extends ApplicationError {
  readonly code = 'invalid_message';
}

/** A relay went past its own bound on the number of pages: a guard against a runaway loop. */
export class RelayBoundExceededError extends ApplicationError {
  readonly code = 'relay_bound_exceeded';
}

/** A feed, subscription or run that a command names does not exist. */
export class NotFoundError extends ApplicationError {
  readonly code = 'not_found';
}

/** A setting is missing or malformed. */
export class ConfigurationError extends ApplicationError {
  readonly code = 'invalid_configuration';
}

/** A sink whose address deliveries may not reach (an internal network that is not allowed). */
export class SinkRefusedError extends ApplicationError {
  readonly code = 'blocked_address';
}

/** A write lost to a concurrent change of the same record: trying again may succeed. */
export class ConflictError extends FeedrelayError {
  readonly code = 'conflict';
}
