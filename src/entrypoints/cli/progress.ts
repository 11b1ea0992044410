import type { Output } from './output.js';

/** Progress of long work on stderr: a line redrawn in place on a terminal, plain lines (at most every 5 s) otherwise. */
export class Progress {
  private lastPlain = 0;
  private drawn = false;

  constructor(
    private readonly output: Output,
    private readonly label: string,
  ) {}

  update(text: string): void {
    const line = `${this.label}: ${text}`;
    if (this.output.isTerminal) {
      this.output.errorStream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else if (Date.now() - this.lastPlain >= 5000) {
      this.lastPlain = Date.now();
      this.output.note(line);
    }
  }

  done(): void {
    if (this.drawn) this.output.errorStream.write('\r\x1b[2K');
  }
}
