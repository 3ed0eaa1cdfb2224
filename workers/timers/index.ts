// Runs on a worker thread: the public face of the per-worker timer wheel (one wheel per worker).
export { TimerWheel } from './wheel.ts';
export { MAX_TIMERS } from './layout.ts';
export type { TimerCallback, TimerHandle, TimerWheelOptions } from './wheel.ts';
export { SystemClock } from './clock.ts';
export type { TimerClock } from './clock.ts';
export { MAX_DELAY_MS } from './geometry.ts';
export { MAX_NAMES, OVERFLOW_NAME, LATENESS_BUCKET_KEYS } from './stats.ts';
export type { ElapsedTimeStats, LatenessStats, TimerEntry, TimerNameStats, TimerSysStats, TimersReport } from './stats.ts';
export { sumTimerReports, SUMMED_WORKER_ID } from '../../runtime/protocol/timers-report.ts';
