/** Where a command writes: one JSON document on stdout under --json, text otherwise; notes always on stderr. */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** The command's result: `document` under --json, else the text `human` renders from it. */
  result<T>(document: T, human: (document: T) => string): void {
    if (this.json) this.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    else {
      const text = human(document);
      if (text) this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** Raw text on stdout (OPML export). */
  raw(text: string): void {
    this.stdout.write(text);
  }

  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  get isTerminal(): boolean {
    return (this.stderr as NodeJS.WriteStream).isTTY === true;
  }

  get errorStream(): NodeJS.WritableStream {
    return this.stderr;
  }
}
