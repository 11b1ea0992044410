/** The base of every domain error: a stable `code` for machines, a message for people, the `cause` kept. */
export abstract class DomainError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidCursorError extends DomainError {
  readonly code = 'invalid_cursor';
}

export class InvalidFeedUrlError extends DomainError {
  readonly code = 'invalid_url';
}

export class InvalidSubscriptionError extends DomainError {
  readonly code = 'invalid_subscription';
}
