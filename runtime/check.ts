// `node runtime check FILE` (primary thread, no workers started): validates a declarative file
// as `kong config parse` / `deck file validate` do. Every error is printed with its entity and
// field path, and the exit code is 1; a valid file prints its entity counts and configuration
// hash, and the exit code is 0. The file is prepared in this thread: nothing else runs here.
import { readFile } from 'node:fs/promises';
import { pluginSchemas } from '../config/plugins/index.ts';
import { prepareConfig } from '../config/prepare.ts';
import { GROUPS } from '../config/types.ts';

export async function runCheck(args: readonly string[], out: (line: string) => void = console.log): Promise<number> {
  const file = args[0];
  if (file === undefined || args.length > 1) {
    out('Usage: node runtime check FILE');
    return 2;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    out(`cannot read ${file}: ${(error as Error).message}`);
    return 1;
  }
  const result = prepareConfig(text, { plugins: pluginSchemas });
  if (!result.ok) {
    out(`${file}: invalid (${result.code}), ${result.errors.length} error(s)`);
    for (const e of result.errors) {
      const where = [e.entity_type, e.entity === null ? null : `'${e.entity}'`, e.field === '' ? null : e.field].filter((x) => x !== null).join(' ');
      out(`  ${where}: ${e.message}${e.code === undefined ? '' : ` [${e.code}]`}`);
    }
    return 1;
  }
  out(`${file}: valid`);
  if (result.migration !== null) {
    out(`  migrated from _format_version ${result.migration.from} to 3.0 (${result.migration.paths.length} path(s) changed)`);
    for (const p of result.migration.paths) out(`    route '${p.route}' ${p.field}: ${p.from} -> ${p.to}`);
  }
  for (const group of GROUPS) out(`  ${group}: ${Object.keys(result.entities[group]).length}`);
  out(`  configuration_hash: ${result.hash}`);
  return 0;
}
