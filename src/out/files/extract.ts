import type { FileRef } from '../../core/domain.js';
import { renderTable } from './csv.js';
import { imageDataUrl } from './image.js';
import { pdfText } from './pdf.js';
import { sniff } from './sniff.js';

/**
 * What a file's bytes say, for the prompt: its text (text, Markdown, code, JSON, CSV/TSV as a
 * table, PDF), an image (vision only), or a one-line note saying why it was not read. Never throws
 * for a file it cannot read: a broken PDF is a note, not a failed answer.
 */
export type FileReading =
  | { kind: 'text'; text: string }
  | { kind: 'image'; url: string }
  | { kind: 'note'; text: string };

export interface ExtractLimits {
  csvMaxRows: number;
  pdfMaxPages: number;
  vision: boolean;
}

/** One file's text is cut here (about 25,000 tokens); the token budget trims the prompt after that. */
export const MAX_FILE_TEXT_CHARS = 100_000;

export const formatBytes = (n: number): string =>
  n >= 1024 * 1024
    ? `${(n / (1024 * 1024)).toFixed(n >= 10 * 1024 * 1024 ? 0 : 1).replace(/\.0$/, '')} MB`
    : n >= 1024
      ? `${Math.round(n / 1024)} KB`
      : `${n} bytes`;

/** `.zip`, from Slack's filetype or the name's extension; '' when neither says. */
export const extensionOf = (file: Pick<FileRef, 'name' | 'filetype'>): string => {
  const ext = /\.([A-Za-z0-9]{1,10})$/.exec(file.name)?.[1] ?? file.filetype ?? '';
  return ext ? `.${ext.toLowerCase()}` : '';
};

const cap = (text: string): string =>
  text.length <= MAX_FILE_TEXT_CHARS
    ? text
    : `${text.slice(0, MAX_FILE_TEXT_CHARS)}\n[… the rest of the file, ${text.length - MAX_FILE_TEXT_CHARS} characters, left out]`;

const TABLE_TYPES = new Set(['csv', 'tsv']);

const asJson = (text: string): string | undefined => {
  try {
    const value: unknown = JSON.parse(text);
    const pretty = JSON.stringify(value, null, 2);
    // Pretty when that stays small; else compact, which says the same in fewer tokens.
    return pretty.length <= 20_000 ? pretty : JSON.stringify(value);
  } catch {
    return undefined;
  }
};

const notRead = (file: FileRef, size: number, why: string): FileReading => ({
  kind: 'note',
  text: `a ${formatBytes(size)} ${extensionOf(file) || 'file'}, ${why}`,
});

export const extractFile = async (
  file: FileRef,
  bytes: Buffer,
  limits: ExtractLimits,
): Promise<FileReading> => {
  const sniffed = sniff(bytes);
  const ext = extensionOf(file).slice(1);
  switch (sniffed.kind) {
    case 'pdf': {
      try {
        const pdf = await pdfText(bytes, limits.pdfMaxPages);
        const more =
          pdf.pages > pdf.read ? `\n[… ${pdf.pages - pdf.read} more pages not read (PDF_MAX_PAGES)]` : '';
        const head = `(PDF, ${pdf.pages} page${pdf.pages === 1 ? '' : 's'})`;
        return { kind: 'text', text: cap(`${head}\n${pdf.text}${more}`) };
      } catch {
        return notRead(file, bytes.length, 'a PDF that could not be read');
      }
    }
    case 'image': {
      if (!limits.vision)
        return {
          kind: 'note',
          text: `an image (${formatBytes(bytes.length)}), not sent (image input is off)`,
        };
      try {
        return { kind: 'image', url: (await imageDataUrl(bytes)).url };
      } catch {
        return notRead(file, bytes.length, 'an image that could not be read');
      }
    }
    case 'text': {
      const text = new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
      if (TABLE_TYPES.has(ext) || /text\/(csv|tab-separated-values)/.test(file.mimetype ?? ''))
        return { kind: 'text', text: cap(renderTable(text, { maxRows: limits.csvMaxRows, hint: ext })) };
      if (ext === 'json' || file.mimetype === 'application/json') {
        const json = asJson(text);
        if (json !== undefined) return { kind: 'text', text: cap(json) };
      }
      return { kind: 'text', text: cap(text) };
    }
    case 'docx':
      return notRead(file, bytes.length, 'a Word document, not read');
    case 'zip':
      return notRead(file, bytes.length, 'not read');
    default:
      return notRead(file, bytes.length, 'not read');
  }
};
