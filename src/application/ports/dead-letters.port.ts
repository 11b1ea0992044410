/**
 * A message its handler could not process, kept as it was sent, with why. `queue` is the name of the queue it
 * came from (`fetch-feed`, `deliver`, …), which is also the queue a redrive puts it back on.
 */
export interface DeadLetter {
  readonly queue: string;
  /** The message's id in its source queue. */
  readonly messageId: string;
  readonly body: string;
  /** Why it was dead-lettered, in words: the error's code and message, or what the platform knows. */
  readonly reason: string;
  /** ISO-8601: when the message was first sent to its source queue (when known; else when it was dead-lettered). */
  readonly firstSeenAt: string;
}

/**
 * Where a queue handler parks a message that can never succeed as it is (bad JSON, an unknown version, a
 * failed check): at once, instead of retrying it until the queue gives up on it.
 */
export interface DeadLetterSink {
  /** Keeps `letter` until it is redriven. Throws when it cannot (the caller then lets the message fail). */
  park(letter: DeadLetter): Promise<void>;
}

/** The dead-letter queues as an operator needs them too: parked messages listed, and put back after a fix. */
export interface DeadLetters extends DeadLetterSink {
  /** The dead letters of `queue` (every queue when omitted), oldest first. Reading removes nothing. */
  list(queue?: string): Promise<DeadLetter[]>;
  /** Puts the dead letters of `queue` (every queue when omitted) back on their source queue; answers them. */
  redrive(queue?: string): Promise<DeadLetter[]>;
}
