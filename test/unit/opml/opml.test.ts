import { OpmlError, parseOpml, writeOpml } from '../../../src/adapters/opml/opml.js';

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
