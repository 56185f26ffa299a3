// `npm start`, `npm run web|worker|demo|bench` build first, but only when a source file is newer
// than the build: starting several processes at once then does not run several compilers at once.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const stamp = path.join(root, 'dist', '.tsbuildinfo');
const sources = ['src', 'standins', 'tools', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

const newest = (p) => {
  const full = path.join(root, p);
  if (!existsSync(full)) return 0;
  const st = statSync(full);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(full).map((name) => newest(path.join(p, name))));
};

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
if (built === 0 || sources.some((s) => newest(s) > built)) {
  const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
  const res = spawnSync(tsc, ['-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
  // tsc leaves its build info untouched when nothing changed: mark the build as current ourselves.
  const now = new Date();
  if (existsSync(stamp)) utimesSync(stamp, now, now);
}
