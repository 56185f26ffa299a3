/** Small numeric helpers for the bench: nearest-rank percentiles and compact formatting. */

export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
};

export const median = (values: readonly number[]): number => percentile(values, 50);

export const max = (values: readonly number[]): number =>
  values.length ? values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY) : Number.NaN;

export const mean = (values: readonly number[]): number =>
  values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;

/** `12.3 ms`, `1.23 s`; `n/a` for NaN. */
export const ms = (v: number): string => {
  if (!Number.isFinite(v)) return 'n/a';
  if (Math.abs(v) >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (Math.abs(v) >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (Math.abs(v) >= 100) return `${v.toFixed(0)} ms`;
  if (Math.abs(v) >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
};

/** `p50 / p99 / max` in ms. */
export const spread = (values: readonly number[]): string =>
  `${ms(median(values))} / ${ms(percentile(values, 99))} / ${ms(max(values))}`;

export const num = (v: number, digits = 0): string =>
  Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : 'n/a';

export const ratio = (a: number, b: number): string =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';

export const bytes = (v: number): string => {
  if (!Number.isFinite(v)) return 'n/a';
  if (v >= 1024 * 1024) return `${(v / 1024 / 1024).toFixed(1)} MiB`;
  if (v >= 1024) return `${(v / 1024).toFixed(2)} KiB`;
  return `${v.toFixed(0)} B`;
};

export const sleep = (msec: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, msec));

/** One line of the result table. */
export interface Row {
  section: string;
  figure: string;
  value: string;
  aim?: string;
  how?: string;
}

const cell = (s: string | undefined) => (s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The markdown table: one header row per section. */
export const renderTable = (rows: readonly Row[]): string => {
  const out = ['| figure | value | aim | how |', '|---|---|---|---|'];
  let section = '';
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      out.push(`| **${cell(section)}** | | | |`);
    }
    out.push(`| ${cell(r.figure)} | ${cell(r.value)} | ${cell(r.aim)} | ${cell(r.how)} |`);
  }
  return out.join('\n');
};
