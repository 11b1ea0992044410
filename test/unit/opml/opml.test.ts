import { OpmlError, parseOpml, parseOpmlBytes, writeOpml } from '../../../src/adapters/opml/opml.js';

const doc = (body: string) =>
  `<?xml version="1.0"?>\n<opml version="2.0">\n<head><title>t</title></head>\n<body>\n${body}\n</body>\n</opml>\n`;

describe('parseOpml', () => {
  it('reads every outline with an xmlUrl, at any depth, once', () => {
    const feeds = parseOpml(
      doc(`<outline text="Tech">
  <outline text="A &amp; B" type="rss" xmlUrl="https://a.example/feed"/>
  <outline text="Dup" xmlUrl="https://a.example/feed"/>
</outline>
<outline title="C" xmlUrl="http://c.example/rss.xml"/>`),
    );
    expect(feeds).toEqual([
      { url: 'https://a.example/feed', title: 'A & B' },
      { url: 'http://c.example/rss.xml', title: 'C' },
    ]);
  });

  it('names the line of a malformed element', () => {
    const text = doc(
      '<outline xmlUrl="https://a.example/feed">\n<outline xmlUrl="https://b.example/feed"/>\n</outlin>',
    );
    expect(() => parseOpml(text)).toThrow(OpmlError);
    try {
      parseOpml(text);
    } catch (error) {
      expect((error as OpmlError).line).toBe(7);
      expect((error as OpmlError).message).toMatch(/^line 7, column \d+: not well-formed XML/);
    }
  });

  it('names the line and the reason of a bad feed URL', () => {
    const text = doc('<outline xmlUrl="https://ok.example/feed"/>\n<outline xmlUrl="ftp://files.example/feed"/>');
    expect(() => parseOpml(text)).toThrow(
      /^line 6, column \d+: outline xmlUrl "ftp:\/\/files.example\/feed" is not a feed URL/,
    );
  });

  it('refuses a document that is not OPML', () => {
    expect(() => parseOpml('<rss version="2.0"><channel/></rss>')).toThrow(
      /expected the root element <opml>, found <rss>/,
    );
    expect(() => parseOpml('<opml version="2.0"><head/></opml>')).toThrow(/no <body> element/);
    expect(() => parseOpml('')).toThrow(OpmlError);
  });

  it('reads back what writeOpml wrote', () => {
    const feeds = [
      { url: 'https://a.example/feed?x=1&y=2', title: 'Ampersands & "quotes"' },
      { url: 'https://b.example/feed' },
    ];
    expect(parseOpml(writeOpml(feeds))).toEqual([
      feeds[0],
      { url: 'https://b.example/feed', title: 'https://b.example/feed' },
    ]);
  });
});

describe('parseOpmlBytes', () => {
  const latin1 = (text: string) => Buffer.from(text, 'latin1');
  const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();
  const feedWith = (declaration: string, url: string, title: string) =>
    `${declaration}<opml version="2.0">\n<head/>\n<body>\n<outline text="${title}" xmlUrl="${url}"/>\n</body>\n</opml>\n`;

  it('decodes an ISO-8859-1 file by its XML declaration: the URL keeps its letters', () => {
    const bytes = latin1(
      feedWith('<?xml version="1.0" encoding="ISO-8859-1"?>\n', 'https://café.example/flux', 'Café'),
    );
    expect(parseOpmlBytes(bytes)).toEqual([{ url: 'https://xn--caf-dma.example/flux', title: 'Café' }]);
  });

  it('decodes windows-1252 punctuation, UTF-16 with either byte order mark, and UTF-8 with or without one', () => {
    const text = feedWith('<?xml version="1.0" encoding="windows-1252"?>\n', 'https://a.example/é', '“Quotes” €');
    const expected = [{ url: 'https://a.example/%C3%A9', title: '“Quotes” €' }];
    expect(
      parseOpmlBytes(Buffer.from([...text].map((c) => ({ '“': 0x93, '”': 0x94, '€': 0x80 })[c] ?? c.charCodeAt(0)))),
    ).toEqual(expected);

    const unicode = feedWith('<?xml version="1.0" encoding="UTF-16"?>\n', 'https://a.example/é', '“Quotes” €');
    expect(parseOpmlBytes(Buffer.concat([Buffer.of(0xff, 0xfe), Buffer.from(unicode, 'utf16le')]))).toEqual(expected);
    expect(parseOpmlBytes(Buffer.concat([Buffer.of(0xfe, 0xff), utf16be(unicode)]))).toEqual(expected);
    const utf8 = feedWith('<?xml version="1.0"?>\n', 'https://a.example/é', '“Quotes” €');
    expect(parseOpmlBytes(Buffer.from(utf8))).toEqual(expected);
    expect(parseOpmlBytes(Buffer.concat([Buffer.of(0xef, 0xbb, 0xbf), Buffer.from(utf8)]))).toEqual(expected);
  });

  it('refuses Latin-1 bytes in a file that declares no encoding (so UTF-8), naming their line', () => {
    const bytes = latin1(feedWith('<?xml version="1.0"?>\n', 'https://café.example/flux', 'x'));
    expect(() => parseOpmlBytes(bytes)).toThrow(OpmlError);
    expect(() => parseOpmlBytes(bytes)).toThrow(/^line 5, column 38: bytes that are not valid utf-8 text/);
  });

  it('refuses a lone surrogate in a UTF-16 file, naming its line', () => {
    const text = feedWith('', 'https://a.example/x', 'x');
    const bytes = Buffer.concat([Buffer.of(0xff, 0xfe), Buffer.from(text, 'utf16le')]);
    const at = 2 + Buffer.byteLength(text.slice(0, text.indexOf('x"')), 'utf16le');
    bytes.writeUInt16LE(0xd800, at);
    expect(() => parseOpmlBytes(bytes)).toThrow(/^line 4, column \d+: bytes that are not valid utf-16le text/);
  });

  it('refuses an encoding it does not know', () => {
    const bytes = Buffer.from(feedWith('<?xml version="1.0" encoding="EBCDIC-037"?>\n', 'https://a.example/', 'x'));
    expect(() => parseOpmlBytes(bytes)).toThrow(
      /^line 1, column 1: the declared encoding "EBCDIC-037" is not supported/,
    );
  });

  it('refuses a feed URL longer than 2048 characters with a short message naming its line', () => {
    const long = `https://a.example/${'x'.repeat(500_000)}`;
    const text = doc(`<outline xmlUrl="https://ok.example/feed"/>\n<outline xmlUrl="${long}"/>`);
    let message = '';
    try {
      parseOpmlBytes(Buffer.from(text));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^line 6, column \d+: outline xmlUrl "https:\/\/a\.example\/x+…" is not a feed URL: the feed URL is 500018 characters long, at most 2048/,
    );
    expect(message.length).toBeLessThan(300);
  });
});
