/** The base of every domain error: a stable `code` for machines, a message for people, the `cause` kept. */
export abstract class DomainError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A piece of user input quoted in a message: at most `max` characters of it, so that a message stays one line. */
export function excerpt(text: string, max = 80): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}…` : clean);
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
