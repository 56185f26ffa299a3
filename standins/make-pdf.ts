/**
 * A minimal valid PDF with one Helvetica text block per page, built in memory: for tests and the
 * demo that need a PDF of a given size (a 20-page report, a long one for the background queue)
 * without shipping or fetching one. test/fixtures/two-pages.pdf was made the same way.
 */
const escapePdf = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, '?');

export const makePdf = (pages: readonly (string | readonly string[])[]): Buffer => {
  const objs: string[] = [];
  objs.push('<< /Type /Catalog /Pages 2 0 R >>');
  const kids = pages.map((_, i) => `${3 + 2 * i} 0 R`).join(' ');
  objs.push(`<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`);
  const fontId = 3 + 2 * pages.length;
  pages.forEach((page, i) => {
    objs.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${fontId} 0 R >> >> /Contents ${4 + 2 * i} 0 R >>`,
    );
    const lines = typeof page === 'string' ? [page] : page;
    const body = lines.map((l, n) => `${n === 0 ? '' : '0 -14 Td '}(${escapePdf(l)}) Tj`).join(' ');
    const stream = `BT /F1 11 Tf 50 740 Td ${body} ET`;
    objs.push(`<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`);
  });
  objs.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((body, n) => {
    offsets.push(Buffer.byteLength(out));
    out += `${n + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
};
