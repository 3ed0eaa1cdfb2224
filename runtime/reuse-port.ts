// Whether this platform gives workers a shared proxy port (primary thread). Node's
// `listen({ reusePort: true })` works on Linux (and FreeBSD 12+, Solaris 11.4, AIX 7.2.5+) and
// fails with ENOTSUP elsewhere (macOS, Windows). There Sluice runs one worker and says so,
// instead of failing at start.
import { createServer } from 'node:net';

/** Probes with a throwaway listener on an ephemeral port of `host`. */
export function reusePortSupported(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      // Anything but "not supported" (a bad host, say) is for the real listen to report.
      resolve(error.code !== 'ENOTSUP' && error.code !== 'ERR_INVALID_ARG_VALUE');
    });
    probe.listen({ host, port: 0, reusePort: true }, () => probe.close(() => resolve(true)));
  });
}

/** How many workers to start: all asked for with SO_REUSEPORT, else one. */
export function workerPlan(requested: number, reusePort: boolean): { workers: number; note: string | null } {
  if (reusePort) return { workers: requested, note: null };
  return { workers: 1, note: `SO_REUSEPORT is not available on ${process.platform}: one worker serves the proxy port${requested > 1 ? ` (not ${requested})` : ''}` };
}
