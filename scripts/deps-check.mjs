// `npm run deps:check`: the direct dependencies whose newest release is a newer major than the one
// installed, from `npm outdated --json`. A newer major is a decision to take, not a failure, so this
// exits 0 with a table; it exits 1 only when the registry could not be asked.
//
// Kept back on purpose (shown with the reason):
// - node, @types/node: the runtime is the Node 24 LTS line (maintenance LTS until April 2028), the
//   one the Docker image and `engines` name; its types follow it. Moving to 26 is one change to all
//   four (the `node` dev dependency, @types/node, `engines`, the Dockerfile's NODE_VERSION).
// Held within a major, so not listed: vite 8.3.8 (vitest's peer), because 8.4 adds an optional
// Windows-only dependency that the registry here does not serve, and a lockfile without it fails
// `npm ci`.
import { spawnSync } from 'node:child_process';

const HELD = {
  node: 'runtime: Node 24 LTS, see README "Runtime"',
  '@types/node': 'follows the runtime major',
};

const res = spawnSync('npm', ['outdated', '--json'], { encoding: 'utf8' });
let report;
try {
  report = JSON.parse(res.stdout || '{}');
} catch {
  report = undefined;
}
// npm outdated exits 1 when anything is outdated; only its JSON says whether it failed.
if (!report || typeof report !== 'object' || 'error' in report) {
  const why = report?.error?.summary ?? res.stderr.trim().split('\n').at(-1) ?? 'no answer';
  console.error(`deps:check: npm outdated failed: ${why}`);
  process.exit(1);
}

const major = (version) => Number.parseInt(String(version).split('.')[0] ?? '', 10);
const rows = Object.entries(report)
  .map(([name, info]) => ({ name, installed: info.current ?? 'missing', latest: info.latest }))
  .filter((r) => r.installed === 'missing' || major(r.latest) > major(r.installed))
  .sort((a, b) => a.name.localeCompare(b.name))
  .map((r) => ({ ...r, note: HELD[r.name] ? `held: ${HELD[r.name]}` : 'newer major available' }));

if (rows.length === 0) {
  console.log('deps:check: every dependency is on its newest major.');
  process.exit(0);
}
const header = { name: 'package', installed: 'installed', latest: 'latest', note: 'note' };
const cols = ['name', 'installed', 'latest'];
const width = Object.fromEntries(
  cols.map((c) => [c, Math.max(...[header, ...rows].map((r) => r[c].length))]),
);
const line = (r) => [...cols.map((c) => r[c].padEnd(width[c])), r.note].join('  ');
console.log([line(header), ...rows.map(line)].join('\n'));
