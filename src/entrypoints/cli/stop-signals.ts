import { constants } from 'node:os';
import { InterruptedError } from './cli-errors.js';

/** The conventional exit status of a process ended by `signal`: 128 + its number (SIGINT 130, SIGTERM 143). */
export function exitStatusFor(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

let received: NodeJS.Signals | undefined;

/** The stop signal this process received, if any: after one, `main` makes sure the process ends. */
export function stopSignalReceived(): NodeJS.Signals | undefined {
  return received;
}

/**
 * SIGINT and SIGTERM as a request to stop: the first one aborts `signal` (with an `InterruptedError`) so that
 * a command stops taking work and winds down; a second one ends the process at once, as users expect of a
 * second Ctrl-C.
 */
export class StopSignals {
  private readonly controller = new AbortController();

  constructor(private readonly onStop: (signal: NodeJS.Signals) => void = () => undefined) {
    process.on('SIGINT', this.handle);
    process.on('SIGTERM', this.handle);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Resolves with the signal once one arrives. */
  get stopped(): Promise<NodeJS.Signals> {
    return new Promise((resolve) => {
      if (received && this.controller.signal.aborted) resolve(received);
      else this.controller.signal.addEventListener('abort', () => resolve(received!), { once: true });
    });
  }

  dispose(): void {
    process.off('SIGINT', this.handle);
    process.off('SIGTERM', this.handle);
  }

  private readonly handle = (signal: NodeJS.Signals): void => {
    if (this.controller.signal.aborted) process.exit(exitStatusFor(signal));
    received = signal;
    this.onStop(signal);
    this.controller.abort(new InterruptedError(signal, exitStatusFor(signal)));
  };
}
