/**
 * What a downloaded file really is, from its first bytes (magic numbers), never from its name or
 * Slack's `filetype` alone: a `.csv` that is a ZIP, or a "PNG" that is HTML, is read as what it is.
 */
export type Sniffed =
  | { kind: 'pdf' }
  | { kind: 'image'; mime: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' }
  | { kind: 'docx' }
  | { kind: 'zip' }
  | { kind: 'text' }
  | { kind: 'binary' };

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0) =>
  b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

const PDF = ascii('%PDF-');
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const GIF87 = ascii('GIF87a');
const GIF89 = ascii('GIF89a');
const RIFF = ascii('RIFF');
const WEBP = ascii('WEBP');
const ZIP = [0x50, 0x4b, 0x03, 0x04];

/** Valid UTF-8 (a BOM allowed) with no NUL byte: what we read as text. */
export const isText = (b: Uint8Array): boolean => {
  if (b.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
};

/**
 * The kind of `bytes`. A ZIP is a `.docx` when it holds Word's main part (`word/document.xml`, whose
 * name appears in the archive's local headers near the start).
 */
export const sniff = (bytes: Uint8Array): Sniffed => {
  // PDF readers accept the header within the first KB; so do we.
  const head = bytes.subarray(0, 1024);
  if (startsWith(bytes, PDF) || Buffer.from(head).includes('%PDF-')) return { kind: 'pdf' };
  if (startsWith(bytes, PNG)) return { kind: 'image', mime: 'image/png' };
  if (startsWith(bytes, JPEG)) return { kind: 'image', mime: 'image/jpeg' };
  if (startsWith(bytes, GIF87) || startsWith(bytes, GIF89)) return { kind: 'image', mime: 'image/gif' };
  if (startsWith(bytes, RIFF) && startsWith(bytes, WEBP, 8)) return { kind: 'image', mime: 'image/webp' };
  if (startsWith(bytes, ZIP))
    return Buffer.from(bytes).includes('word/document.xml') ? { kind: 'docx' } : { kind: 'zip' };
  return isText(bytes) ? { kind: 'text' } : { kind: 'binary' };
};
