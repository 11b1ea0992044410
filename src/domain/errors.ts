/**
 * The one base of feedrelay's errors: a stable `code` for machines, a message for people, the `cause` kept, and
 * the class's name as `name`. `permanent` says that the same input can never succeed (bad input, a message that
 * is not ours): a queue consumer dead-letters such a record at once instead of retrying it.
 */
export abstract class FeedrelayError extends Error {
  abstract readonly code: string;
  readonly permanent: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that breaks a rule of the domain (a URL, a secret, a cursor): retrying it cannot help. */
export abstract class DomainError extends FeedrelayError {
  override readonly permanent = true;
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
