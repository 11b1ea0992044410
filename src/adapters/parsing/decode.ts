/**
 * Turns feed body bytes into text. The charset comes from the HTTP Content-Type first, then a byte order mark,
 * then the XML declaration (found by its byte pattern for UTF-16); with nothing declared the body is UTF-8,
 * or windows-1252 when it is not valid UTF-8. Unknown labels fall back to UTF-8; a BOM never reaches the text.
 */
export function decodeFeedBytes(bytes: Uint8Array, contentType?: string): string {
  const { encoding, bomLength } = detectEncoding(bytes, contentType);
  const payload = bytes.subarray(bomLength);
  let text: string;
  if (encoding === undefined) {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(payload);
    } catch {
      text = new TextDecoder('windows-1252').decode(payload);
    }
  } else {
    text = decoderFor(encoding).decode(payload);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export interface DetectedEncoding {
  /** The WHATWG encoding name to decode with; undefined when nothing declared one. */
  readonly encoding: string | undefined;
  /** Bytes of byte order mark to skip. */
  readonly bomLength: number;
}

/** Which encoding the body declares, and whether it starts with a byte order mark of that encoding. */
export function detectEncoding(bytes: Uint8Array, contentType?: string): DetectedEncoding {
  const bom = sniffBom(bytes);
  const header = normalizeLabel(charsetOf(contentType));
  let encoding: string | undefined;
  if (header !== undefined) {
    encoding = header === 'utf-16' ? (bom?.encoding.startsWith('utf-16') ? bom.encoding : sniffUtf16(bytes) ?? 'utf-16le') : header;
  } else if (bom) {
    encoding = bom.encoding;
  } else {
    encoding = declaredInXml(bytes);
  }
  const bomLength = bom && encoding === bom.encoding ? bom.length : 0;
  return { encoding, bomLength };
}

/** The `charset` parameter of a Content-Type header, if any. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const match = contentType?.match(/;\s*charset\s*=\s*("?)([^";,\s]+)\1/i);
  return match?.[2];
}

function sniffBom(bytes: Uint8Array): { encoding: string; length: number } | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return undefined;
}

function sniffUtf16(bytes: Uint8Array): string | undefined {
  const [a, b] = [bytes[0], bytes[1]];
  if (a === undefined || b === undefined) return undefined;
  if (a !== 0 && b === 0 && a < 0x80) return 'utf-16le';
  if (a === 0 && b !== 0 && b < 0x80) return 'utf-16be';
  return undefined;
}

function declaredInXml(bytes: Uint8Array): string | undefined {
  const utf16 = sniffUtf16(bytes);
  if (utf16) return utf16;
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  const declaration = head.match(/^\s*<\?xml\s[^>]*?\?>/)?.[0];
  const label = declaration?.match(/\sencoding\s*=\s*["']\s*([A-Za-z0-9._:-]+)\s*["']/)?.[1];
  if (label === undefined) return undefined;
  const encoding = normalizeLabel(label) ?? 'utf-8';
  // A single-byte pattern that declares UTF-16 was transcoded without fixing its declaration.
  return encoding.startsWith('utf-16') ? 'utf-8' : encoding;
}

function normalizeLabel(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  const lower = label.trim().toLowerCase();
  if (lower === 'utf-16' || lower === 'utf16' || lower === 'unicode' || lower === 'ucs-2') return 'utf-16';
  try {
    return new TextDecoder(lower).encoding;
  } catch {
    return 'utf-8';
  }
}

function decoderFor(encoding: string): TextDecoder {
  try {
    return new TextDecoder(encoding === 'utf-16' ? 'utf-16le' : encoding, { ignoreBOM: true });
  } catch {
    return new TextDecoder('utf-8', { ignoreBOM: true });
  }
}
