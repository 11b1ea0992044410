import type { Output } from './output.js';

/**
 * Progress of long work on stderr: a bar redrawn in place on a terminal, plain lines (at most every 5 s)
 * otherwise, so that logs of a scripted run stay short. Nothing ever goes to stdout.
 */
export class Progress {
  private lastPlain = 0;
  private drawn = false;

  constructor(
    private readonly output: Output,
    private readonly label: string,
  ) {}

  update(done: number, total: number, detail = ''): void {
    const suffix = `${done}/${total}${detail ? ` ${detail}` : ''}`;
    if (this.output.isTerminal) {
      const width = 30;
      const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
      this.output.errorStream.write(
        `\r\x1b[2K${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${suffix}`,
      );
      this.drawn = true;
    } else if (Date.now() - this.lastPlain >= 5000) {
      this.lastPlain = Date.now();
      this.output.note(`${this.label}: ${suffix}`);
    }
  }

  done(): void {
    if (this.drawn) this.output.errorStream.write('\r\x1b[2K');
  }
}
