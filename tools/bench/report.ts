import os from 'node:os';
import { type Row, renderTable } from './stats.js';

/** The run's report on stdout: the machine and its load, the table, and the sections that failed. */
export const printReport = (o: {
  rows: Row[];
  failures: string[];
  logLevel: string;
  startedAt: number;
  loadBefore: number[];
}): void => {
  const cpu = os.cpus();
  const runtimeS = (performance.now() - o.startedAt) / 1000;
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(
    [
      '',
      `Backchannel bench — ${new Date().toISOString()}`,
      `Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`,
      `Load average before / after: ${load(o.loadBefore)} / ${load(os.loadavg())} (other work on the machine skews every figure)`,
      `Stand-ins for Slack and OpenAI and a throwaway redis-server (no AOF) on loopback; the bot runs as \`node dist/src/main.js --role web|worker\` with LOG_LEVEL=${o.logLevel}. Total ${runtimeS.toFixed(0)} s.`,
      '',
      renderTable(o.rows),
      '',
      ...(o.failures.length ? ['Failed sections:', ...o.failures.map((f) => `- ${f}`), ''] : []),
    ].join('\n'),
  );
};
