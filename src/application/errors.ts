/** Errors of the application layer: a stable `code`, a message, the `cause` kept. */
export abstract class ApplicationError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
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
export class ConflictError extends ApplicationError {
  readonly code = 'conflict';
}
