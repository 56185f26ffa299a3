import type { Fleet } from './procs.js';
import { bytes, median, type Row } from './stats.js';

/** The processes' memory over the whole run: peak RSS (VmHWM) of each kind, and RSS once started. */
export const memoryRows = (fleet: Fleet): Row[] => {
  const kib = (kb: number | undefined) =>
    kb === undefined || !Number.isFinite(kb) ? 'n/a' : bytes(kb * 1024);
  const webPeak = fleet.peak('web');
  const workerPeak = fleet.peak('worker');
  return [
    {
      section: 'Memory',
      figure: 'peak RSS, web process',
      value: kib(webPeak?.kb),
      how: `VmHWM, highest over all web processes (in: ${webPeak?.phase ?? 'n/a'})`,
    },
    {
      section: 'Memory',
      figure: 'peak RSS, worker process',
      value: kib(workerPeak?.kb),
      how: `VmHWM, highest over all worker processes (in: ${workerPeak?.phase ?? 'n/a'})`,
    },
    {
      section: 'Memory',
      figure: 'RSS once started, idle: web / worker',
      value: `${kib(median(fleet.idleRss.web ?? []))} / ${kib(median(fleet.idleRss.worker ?? []))}`,
      how: 'VmRSS when /healthz first answers, median over the processes started',
    },
    {
      section: 'Memory',
      figure: 'peak RSS, bare Bolt / bare BullMQ worker',
      value: `${kib(fleet.peak('bare-bolt')?.kb)} / ${kib(fleet.peak('bare-bullmq')?.kb)}`,
    },
  ];
};
