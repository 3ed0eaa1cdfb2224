// Test-only fault injection for worker threads (read on the worker thread by main.ts). Each hook is
// an environment variable named SLUICE_TEST_*, unset in production, and documented in README.md
// ("Test-only hooks"): the lifecycle tests need a worker that loads slowly or refuses a config,
// and no real config is slow or refused on demand.

export interface TestHooks {
  /** SLUICE_TEST_WORKER_LOAD_DELAY_MS: the worker says `loaded` this much later than it could. */
  loadDelayMs: number;
  /** SLUICE_TEST_WORKER_FAIL_VERSION: building this config version throws in every worker. */
  failVersion: number | null;
}

export function readTestHooks(env: NodeJS.ProcessEnv): TestHooks {
  return {
    loadDelayMs: wholeNumber(env['SLUICE_TEST_WORKER_LOAD_DELAY_MS']) ?? 0,
    failVersion: wholeNumber(env['SLUICE_TEST_WORKER_FAIL_VERSION']),
  };
}

function wholeNumber(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : null;
}
