import {
  decodeStrictly,
  UndecodableTextError,
  UnsupportedEncodingError,
  xmlEncodingOf,
} from '../../../src/adapters/text/strict-decode.js';

function refusal(bytes: Uint8Array, encoding: string): UndecodableTextError {
  try {
    decodeStrictly(bytes, encoding);
  } catch (error) {
    if (error instanceof UndecodableTextError) return error;
    throw error;
  }
  throw new Error('decoded');
}

describe('decodeStrictly', () => {
  it('decodes valid UTF-8 and drops its byte order mark', () => {
    expect(decodeStrictly(Buffer.from('\uFEFFcafé\nzürich'), 'utf-8')).toBe('café\nzürich');
  });

  it('names line, column and byte of the first bad byte, after multi-byte characters', () => {
    const bytes = Buffer.concat([Buffer.from('é1\nüber\n€ ok '), Buffer.of(0xe9), Buffer.from(' rest\n')]);
    const error = refusal(bytes, 'utf-8');
    expect(error).toMatchObject({ line: 3, column: 6, byteOffset: 17, encoding: 'utf-8' });
    expect(error.message).toBe('line 3, column 6: bytes that are not valid utf-8 text (at byte 17)');
  });

  it('refuses a sequence cut off at the end of the input', () => {
    expect(refusal(Buffer.concat([Buffer.from('a\nb'), Buffer.of(0xe2, 0x82)]), 'utf-8')).toMatchObject({ line: 2 });
  });

  it('reads every byte as windows-1252 (what ISO-8859-1 means on the web), with its punctuation', () => {
    expect(decodeStrictly(Buffer.of(0x93, 0x63, 0x61, 0x66, 0xe9, 0x94, 0x80), 'iso-8859-1')).toBe('“café”€');
  });

  it('refuses a label it does not know', () => {
    expect(() => decodeStrictly(Buffer.from('x'), 'EBCDIC-037')).toThrow(UnsupportedEncodingError);
  });
});

describe('xmlEncodingOf', () => {
  it.each([
    ['a UTF-8 byte order mark', Buffer.of(0xef, 0xbb, 0xbf, 0x3c), 'utf-8'],
    ['a UTF-16LE byte order mark', Buffer.of(0xff, 0xfe, 0x3c, 0x00), 'utf-16le'],
    ['a UTF-16BE byte order mark', Buffer.of(0xfe, 0xff, 0x00, 0x3c), 'utf-16be'],
    ['UTF-16LE "<?" without a mark', Buffer.from('<?xml version="1.0"?>', 'utf16le'), 'utf-16le'],
    ['a declared Latin-1', Buffer.from('<?xml version="1.0" encoding="latin1"?>'), 'windows-1252'],
    ['a declared UTF-16 in single bytes (transcoded)', Buffer.from('<?xml version="1.0" encoding="UTF-16"?>'), 'utf-8'],
    ['no declaration', Buffer.from('<opml/>'), 'utf-8'],
  ])('finds the encoding by %s', (_how, bytes, expected) => {
    expect(xmlEncodingOf(bytes)).toBe(expected);
  });
});
