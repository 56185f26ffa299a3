/**
 * A PDF's text, page by page, at most `maxPages` pages (the rest is only counted). unpdf ships a
 * serverless build of Mozilla's pdf.js: pure JS, no worker, no native code. Each page is its own
 * task, so a long document yields to the event loop between pages rather than parsing in one block.
 * Loaded on the first PDF: a process that never reads one never holds pdf.js (a few MB).
 */
export const pdfText = async (
  bytes: Uint8Array,
  maxPages: number,
): Promise<{ text: string; pages: number; read: number }> => {
  // pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy.
  // verbosity 0: pdf.js would print its warnings about a damaged file to the console.
  const { getDocumentProxy } = await import('unpdf');
  const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  try {
    const read = Math.min(pdf.numPages, maxPages);
    const out: string[] = [];
    for (let n = 1; n <= read; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      const text = content.items
        .map((item) => ('str' in item ? `${item.str}${item.hasEOL ? '\n' : ''}` : ''))
        .join('')
        .replace(/[ \t]+\n/g, '\n')
        .trim();
      out.push(`--- page ${n} ---\n${text}`);
      page.cleanup();
      // Let other work (acks, streams) run between pages.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { text: out.join('\n'), pages: pdf.numPages, read };
  } finally {
    await pdf.cleanup();
    await pdf.loadingTask.destroy();
  }
};
