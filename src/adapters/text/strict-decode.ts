import { decodeWindows1252 } from '../parsing/decode.js';
import { FeedrelayError } from '../../domain/errors.js';

/** Input bytes that are not valid text in the encoding they are read in: where (1-based) and which encoding. */
export class UndecodableTextError extends FeedrelayError {
  readonly code = 'invalid_encoding';

  constructor(
    readonly encoding: string,
    readonly line: number,
    readonly column: number,
    readonly byteOffset: number,
  ) {
    super(`line ${line}, column ${column}: bytes that are not valid ${encoding} text (at byte ${byteOffset})`);
    this.name = 'UndecodableTextError';
  }
}

/** A declared encoding that this reader does not know. */
export class UnsupportedEncodingError extends FeedrelayError {
  readonly code = 'unsupported_encoding';

  constructor(readonly label: string) {
    super(`the declared encoding ${JSON.stringify(label)} is not supported`);
    this.name = 'UnsupportedEncodingError';
  }
}

/**
 * Decodes `bytes` in `encoding` (a WHATWG label) and refuses what is not valid text in it: never a U+FFFD in
 * place of a bad byte. A leading byte order mark of that encoding is dropped. The error names the line and
 * column of the first bad byte. windows-1252 (also what WHATWG reads ISO-8859-1 and US-ASCII as) maps every
 * byte, so it never fails.
 */
export function decodeStrictly(bytes: Uint8Array, encoding: string): string {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    throw new UnsupportedEncodingError(encoding);
  }
  if (decoder.encoding === 'windows-1252') {
    return decodeWindows1252(bytes);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw locateBadByte(bytes, decoder.encoding);
  }
}

/**
 * Finds the first bad byte: the longest prefix that decodes without error in streaming mode (where an
 * unfinished sequence at the end is not yet an error) ends right before it. Longer prefixes only fail more,
 * so a binary search finds it in O(n log n) — only on the failure path.
 */
function locateBadByte(bytes: Uint8Array, encoding: string): UndecodableTextError {
  const decodes = (length: number): boolean => {
    try {
      new TextDecoder(encoding, { fatal: true }).decode(bytes.subarray(0, length), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let good = 0;
  let bad = bytes.length + 1;
  while (bad - good > 1) {
    const middle = Math.floor((good + bad) / 2);
    if (decodes(middle)) good = middle;
    else bad = middle;
  }
  const textOf = (length: number) => new TextDecoder(encoding).decode(bytes.subarray(0, length), { stream: true });
  const before = textOf(good);
  // The bad sequence starts where the bytes still pending (an unfinished character) begin.
  let start = good;
  while (start > 0 && good - start < 4 && textOf(start - 1) === before) start--;
  const lines = before.split('\n');
  const last = lines[lines.length - 1]!.replace(/^\uFEFF/, '');
  return new UndecodableTextError(encoding, lines.length, last.length + 1, Math.min(start, bytes.length - 1));
}

/**
 * The encoding of an XML document's bytes, as XML 1.0 (appendix F) finds it: a byte order mark, else the
 * UTF-16 pattern of `<?`, else the `encoding` of the XML declaration, else UTF-8. A UTF-16 declaration in a
 * document whose bytes are single-byte was transcoded without fixing it: UTF-8. An unknown label is an error.
 */
export function xmlEncodingOf(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes[0] === 0x3c && bytes[1] === 0x00 && bytes[2] === 0x3f && bytes[3] === 0x00) return 'utf-16le';
  if (bytes[0] === 0x00 && bytes[1] === 0x3c && bytes[2] === 0x00 && bytes[3] === 0x3f) return 'utf-16be';
  const head = decodeWindows1252(bytes.subarray(0, 512));
  const declaration = /^\s*<\?xml\s[^>]*?\?>/.exec(head)?.[0];
  const label = declaration && /\sencoding\s*=\s*(["'])\s*([^"']*?)\s*\1/.exec(declaration)?.[2];
  if (!label) return 'utf-8';
  let encoding: string;
  try {
    encoding = new TextDecoder(label).encoding;
  } catch {
    throw new UnsupportedEncodingError(label);
  }
  return encoding.startsWith('utf-16') ? 'utf-8' : encoding;
}
