import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { renderTable } from '../../../src/out/files/csv.js';
import { extractFile, formatBytes } from '../../../src/out/files/extract.js';
import { sniff } from '../../../src/out/files/sniff.js';
import { measureBlocking } from '../../../standins/loop-watch.js';
import { makePdf } from '../../../standins/make-pdf.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url));
const limits = { csvMaxRows: 200, pdfMaxPages: 20, vision: false };
const png = () =>
  sharp({ create: { width: 4000, height: 1000, channels: 3, background: '#336699' } })
    .png()
    .toBuffer();

describe('sniffing', () => {
  it('tells files by their bytes, not their names', async () => {
    expect(sniff(fixture('two-pages.pdf'))).toEqual({ kind: 'pdf' });
    expect(sniff(await png())).toEqual({ kind: 'image', mime: 'image/png' });
    expect(sniff(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toEqual({ kind: 'image', mime: 'image/jpeg' });
    expect(sniff(Buffer.from('GIF89a....'))).toEqual({ kind: 'image', mime: 'image/gif' });
    expect(sniff(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toEqual({ kind: 'image', mime: 'image/webp' });
    expect(sniff(Buffer.from('PK\x03\x04....word/document.xml'))).toEqual({ kind: 'docx' });
    expect(sniff(Buffer.from('PK\x03\x04....other'))).toEqual({ kind: 'zip' });
    expect(sniff(Buffer.from('héllo, world\n'))).toEqual({ kind: 'text' });
    expect(sniff(Buffer.from([0x68, 0x00, 0x69]))).toEqual({ kind: 'binary' });
    expect(sniff(Buffer.from([0xc3, 0x28]))).toEqual({ kind: 'binary' });
  });

  it('reads a ZIP named .csv as a ZIP, not as a table', async () => {
    const reading = await extractFile(
      { id: 'F1', name: 'data.csv', filetype: 'csv' },
      Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(3 * 1024 * 1024)]),
      limits,
    );
    expect(reading).toEqual({ kind: 'note', text: 'a 3 MB .csv, not read' });
  });
});

describe('extraction', () => {
  it('renders a CSV as a compact table, quoted cells kept whole', async () => {
    const reading = await extractFile(
      { id: 'F1', name: 'sales.csv', filetype: 'csv' },
      fixture('sales.csv'),
      limits,
    );
    expect(reading).toEqual({
      kind: 'text',
      text: [
        '(4 rows, 4 columns)',
        'region | quarter | revenue | notes',
        'North | Q1 | 1200 | steady, as planned',
        'South | Q1 | 950 | new store',
        'East | Q1 | 1730 | best "ever" quarter',
        'West | Q1 | 610 | ',
      ].join('\n'),
    });
  });

  it('caps a table by rows and says how many were left out', () => {
    const csv = ['n,square', ...Array.from({ length: 500 }, (_, i) => `${i},${i * i}`)].join('\n');
    const table = renderTable(csv, { maxRows: 3 }).split('\n');
    expect(table).toEqual([
      '(500 rows, 2 columns)',
      'n | square',
      '0 | 0',
      '1 | 1',
      '2 | 4',
      '… 497 more rows not shown',
    ]);
    expect(renderTable('a\tb\n1\t2\n', { maxRows: 5, hint: 'tsv' })).toBe('(1 row, 2 columns)\na | b\n1 | 2');
  });

  it('reads both pages of the fixture PDF', async () => {
    const reading = await extractFile({ id: 'F1', name: 'report.pdf' }, fixture('two-pages.pdf'), limits);
    expect(reading.kind).toBe('text');
    const text = reading.kind === 'text' ? reading.text : '';
    expect(text).toContain('(PDF, 2 pages)');
    expect(text).toMatch(/page 1 ---\n.*PELICAN/);
    expect(text).toMatch(/page 2 ---\n.*42 million kroner/);
  });

  it('reads at most PDF_MAX_PAGES pages, and a 20-page PDF without blocking the event loop for long', async () => {
    const pages = Array.from({ length: 40 }, (_, p) =>
      Array.from(
        { length: 45 },
        (_, l) => `page ${p + 1} line ${l + 1}: the quick brown fox jumps over the lazy dog`,
      ),
    );
    const pdf = makePdf(pages);
    const started = performance.now();
    const { result, worstCpuMs } = await measureBlocking(() =>
      extractFile({ id: 'F1', name: 'long.pdf' }, pdf, { ...limits, pdfMaxPages: 20 }),
    );
    const ms = performance.now() - started;
    const text = result.kind === 'text' ? result.text : '';
    expect(text).toContain('page 20 line 45');
    expect(text).not.toContain('page 21 line 1');
    expect(text).toContain('20 more pages not read');
    // Measured here: 20 pages of 45 lines read in about 100-200 ms, no single block over ~50 ms.
    console.info(
      `20 of 40 PDF pages read in ${Math.round(ms)} ms; longest block ${Math.round(worstCpuMs)} ms`,
    );
    expect(worstCpuMs).toBeLessThan(500);
  });

  it('pretty-prints JSON, and reads code and Markdown as they are', async () => {
    const json = await extractFile({ id: 'F1', name: 'a.json' }, Buffer.from('{"a":1,"b":[1,2]}'), limits);
    expect(json).toEqual({ kind: 'text', text: '{\n  "a": 1,\n  "b": [\n    1,\n    2\n  ]\n}' });
    const md = await extractFile({ id: 'F2', name: 'notes.md' }, Buffer.from('# Title\n\n- one\n'), limits);
    expect(md).toEqual({ kind: 'text', text: '# Title\n\n- one\n' });
  });

  it('mentions an image by name when vision is off, and sends it resized within the limits when on', async () => {
    const image = await png();
    expect(await extractFile({ id: 'F1', name: 'shot.png' }, image, limits)).toMatchObject({
      kind: 'note',
      text: expect.stringContaining('not sent (image input is off)'),
    });
    const on = await extractFile({ id: 'F1', name: 'shot.png' }, image, { ...limits, vision: true });
    expect(on.kind).toBe('image');
    const url = on.kind === 'image' ? on.url : '';
    expect(url).toMatch(/^data:image\/jpeg;base64,/);
    const meta = await sharp(Buffer.from(url.split(',')[1]!, 'base64')).metadata();
    // 4000 × 1000 → 2048 × 512 (long side ≤ 2048, short side ≤ 768).
    expect([meta.width, meta.height]).toEqual([2048, 512]);
  });

  it('gives a broken PDF a note, never an error', async () => {
    const reading = await extractFile(
      { id: 'F1', name: 'bad.pdf' },
      Buffer.from('%PDF-1.4 nonsense'),
      limits,
    );
    expect(reading).toEqual({ kind: 'note', text: expect.stringContaining('a PDF that could not be read') });
  });

  it('says sizes the way people do', () => {
    expect([formatBytes(512), formatBytes(3 * 1024 * 1024), formatBytes(50 * 1024 * 1024)]).toEqual([
      '512 bytes',
      '3 MB',
      '50 MB',
    ]);
  });
});
