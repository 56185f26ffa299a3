// `npm start`, after build-if-needed: the bot, or the playground when tools/start-target.ts says so
// (no Slack setting at all, not production). The .env file counts, as the bot reads it too.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
if (existsSync('.env')) process.loadEnvFile('.env');
const { startTarget } = await import(path.join(root, 'dist/tools/start-target.js'));
const entry =
  startTarget(process.env) === 'playground'
    ? [path.join(root, 'dist/tools/playground.js')]
    : ['--max-semi-space-size=4', path.join(root, 'dist/src/main.js'), ...process.argv.slice(2)];
const child = spawn(process.execPath, entry, { stdio: 'inherit' });
// Ctrl-C reaches the child from the terminal itself; a SIGTERM sent to this process is passed on.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGTERM' ? 143 : 130)));
