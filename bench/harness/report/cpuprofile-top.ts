// A command-line helper (not part of a bench run): the hottest functions of V8 .cpuprofile files,
// e.g. those Sluice writes when the bench runs with --profile DIR (one file per thread).
// Usage: node bench/harness/report/cpuprofile-top.ts DIR|FILE... [--top N]
// Self time = samples whose top frame is the function; ranked per file, biggest file first.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' } }, allowPositionals: true });
const top = Number(values.top);

function files(paths: readonly string[]): string[] {
  return paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? readdirSync(p).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(p, f))
      : [p],
  );
}

function label(frame: ProfileNode['callFrame']): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  const url = frame.url.startsWith('file://') ? relative(process.cwd(), new URL(frame.url).pathname) : frame.url;
  return `${name}  ${url}:${frame.lineNumber + 1}`;
}

function report(file: string): { samples: number; text: string } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  for (const id of samples) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const key = label(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const idle = self.get('(idle)') ?? 0;
  const busy = samples.length - idle;
  const rows = [...self.entries()]
    .filter(([key]) => key !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, n]) => `  ${((n / Math.max(1, busy)) * 100).toFixed(1).padStart(5)}%  ${key}`);
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  const header = `${file}: ${seconds.toFixed(1)} s, ${samples.length} samples, ${((busy / Math.max(1, samples.length)) * 100).toFixed(0)}% busy — self time share of busy samples:`;
  return { samples: busy, text: [header, ...rows].join('\n') };
}

const reports = files(positionals).map(report).sort((a, b) => b.samples - a.samples);
if (reports.length === 0) {
  process.stderr.write('usage: cpuprofile-top.ts DIR|FILE... [--top N] (no .cpuprofile found)\n');
  process.exit(2);
}
process.stdout.write(`${reports.map((r) => r.text).join('\n\n')}\n`);
