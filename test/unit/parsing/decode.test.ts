import { describe, expect, it } from '@jest/globals';
import { decodeFeedBytes } from '../../../src/adapters/parsing/decode.js';

const ascii = (text: string): number[] => [...text].map((char) => char.charCodeAt(0));
const bytes = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((part) => (typeof part === 'string' ? ascii(part) : part)));
const utf16le = (text: string): number[] => [...Buffer.from(text, 'utf16le')];
const utf16be = (text: string): number[] => {
  const le = Buffer.from(text, 'utf16le');
  return [...le.swap16()];
};

describe('decodeFeedBytes', () => {
  it('decodes windows-1252 named by the HTTP charset, smart quotes and euro sign included', () => {
    // Prepare
    const body = bytes('<title>', [0x93], 'caf', [0xe9], [0x94], ' ', [0x80], '5</title>');

    // Act
    const text = decodeFeedBytes(body, 'application/rss+xml; charset=windows-1252');

    // Assess
    expect(text).toBe('<title>\u201Ccaf\u00E9\u201D \u20AC5</title>');
  });

  it('decodes ISO-8859-1 named by the XML declaration', () => {
    // Prepare
    const body = bytes('<?xml version="1.0" encoding="ISO-8859-1"?><title>Not', [0xed], 'cias</title>');

    // Act
    const text = decodeFeedBytes(body);

    // Assess
    expect(text).toBe('<?xml version="1.0" encoding="ISO-8859-1"?><title>Notícias</title>');
  });

  it('decodes UTF-16LE and UTF-16BE with a byte order mark, and strips the mark', () => {
    // Prepare
    const xml = '<?xml version="1.0" encoding="UTF-16"?><title>Grüße ✓</title>';

    // Act
    const little = decodeFeedBytes(bytes([0xff, 0xfe], utf16le(xml)));
    const big = decodeFeedBytes(bytes([0xfe, 0xff], utf16be(xml)));

    // Assess
    expect(little).toBe(xml);
    expect(big).toBe(xml);
  });

  it('recognizes UTF-16 without a byte order mark by the pattern of its XML declaration', () => {
    // Prepare
    const xml = '<?xml version="1.0" encoding="UTF-16"?><title>Grüße</title>';

    // Act
    const little = decodeFeedBytes(bytes(utf16le(xml)));
    const big = decodeFeedBytes(bytes(utf16be(xml)));

    // Assess
    expect(little).toBe(xml);
    expect(big).toBe(xml);
  });

  it('lets the HTTP charset win over the XML declaration', () => {
    // Prepare
    const body = bytes('<?xml version="1.0" encoding="ISO-8859-1"?><title>caf', [0xc3, 0xa9], '</title>');

    // Act
    const text = decodeFeedBytes(body, 'text/xml; charset="UTF-8"');

    // Assess
    expect(text).toBe('<?xml version="1.0" encoding="ISO-8859-1"?><title>café</title>');
  });

  it('lets a byte order mark win over the XML declaration, and strips it', () => {
    // Prepare
    const body = bytes([0xef, 0xbb, 0xbf], '<?xml version="1.0" encoding="windows-1252"?><t>', [0xc3, 0xa9], '</t>');

    // Act
    const text = decodeFeedBytes(body);

    // Assess
    expect(text).toBe('<?xml version="1.0" encoding="windows-1252"?><t>é</t>');
  });

  it('strips a UTF-8 byte order mark when the HTTP charset agrees', () => {
    // Prepare
    const body = bytes([0xef, 0xbb, 0xbf], '<rss/>');

    // Act
    const text = decodeFeedBytes(body, 'application/xml; charset=utf-8');

    // Assess
    expect(text).toBe('<rss/>');
  });

  it('falls back to UTF-8 for a label it does not know', () => {
    // Prepare
    const body = bytes('<?xml version="1.0" encoding="x-klingon"?><t>', [0xc3, 0xa9], '</t>');

    // Act
    const text = decodeFeedBytes(body, undefined);
    const fromHeader = decodeFeedBytes(bytes('<t>', [0xc3, 0xa9], '</t>'), 'text/xml; charset=x-klingon');

    // Assess
    expect(text).toBe('<?xml version="1.0" encoding="x-klingon"?><t>é</t>');
    expect(fromHeader).toBe('<t>é</t>');
  });

  it('reads undeclared bytes as UTF-8, or as windows-1252 when they are not valid UTF-8', () => {
    // Prepare
    const utf8 = bytes('<t>', [0xc3, 0xa9], '</t>');
    const latin = bytes('<t>', [0xda], 'ltimas</t>');

    // Act
    const fromUtf8 = decodeFeedBytes(utf8);
    const fromLatin = decodeFeedBytes(latin);

    // Assess
    expect(fromUtf8).toBe('<t>é</t>');
    expect(fromLatin).toBe('<t>Últimas</t>');
  });

  it('keeps declared UTF-8 as UTF-8 even when some bytes are broken', () => {
    // Prepare
    const body = bytes('<?xml version="1.0" encoding="utf-8"?><t>', [0xda], '</t>');

    // Act
    const text = decodeFeedBytes(body);

    // Assess
    expect(text).toBe('<?xml version="1.0" encoding="utf-8"?><t>\uFFFD</t>');
  });

  it('decodes an empty body to the empty string', () => {
    // Act
    const text = decodeFeedBytes(new Uint8Array(0), 'text/xml; charset=utf-16');

    // Assess
    expect(text).toBe('');
  });
});
