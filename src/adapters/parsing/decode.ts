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
      text = decoderFor('windows-1252').decode(payload);
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
    encoding =
      header === 'utf-16'
        ? bom?.encoding.startsWith('utf-16')
          ? bom.encoding
          : (sniffUtf16(bytes) ?? 'utf-16le')
        : header;
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

interface Decoder {
  decode(bytes: Uint8Array): string;
}

function decoderFor(encoding: string): Decoder {
  if (encoding === 'windows-1252' && !nativeWindows1252) return { decode: decodeWindows1252 };
  try {
    return new TextDecoder(encoding === 'utf-16' ? 'utf-16le' : encoding, { ignoreBOM: true });
  } catch {
    return new TextDecoder('utf-8', { ignoreBOM: true });
  }
}

/** Bytes 0x80–0x9F of windows-1252 (which WHATWG also uses for ISO-8859-1 and US-ASCII labels). */
const WINDOWS_1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** Node 20's TextDecoder decodes windows-1252 as ISO-8859-1 (C1 controls instead of “ ” €); detect that once. */
const nativeWindows1252 = new TextDecoder('windows-1252').decode(Uint8Array.of(0x80)) === '\u20ac';

/** windows-1252 bytes as text, right also on Node versions whose own decoder does not map 0x80–0x9F. */
export function decodeWindows1252(bytes: Uint8Array): string {
  const parts: string[] = [];
  const chunk = 8192;
  for (let start = 0; start < bytes.length; start += chunk) {
    const codes = Array.from(bytes.subarray(start, start + chunk), (byte) =>
      byte >= 0x80 && byte <= 0x9f ? WINDOWS_1252_HIGH[byte - 0x80]! : byte,
    );
    parts.push(String.fromCharCode(...codes));
  }
  return parts.join('');
}
