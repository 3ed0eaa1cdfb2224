// Reloads the --config file when it changes (primary thread). Watches the file's directory, not the
// file: editors and `kubectl` replace files by atomic rename, and a Kubernetes ConfigMap swaps a
// `..data` symlink, so a watch on the old inode would go silent. Only events naming the file, a
// ConfigMap's `..`-entries, or no name at all count: a busy neighbour in the same directory (an
// access log, say) neither costs a read per write nor, by resetting the debounce, holds a reload
// back for as long as it writes. Events are debounced (at most MAX_WAIT_MS after the first) and a
// reload only happens when the file's bytes changed.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

const DEBOUNCE_MS = 200;
const MAX_WAIT_MS = 1000;

export function watchConfigFile(file: string, initialText: string, reload: (text: string) => void, onError: (error: unknown) => void): FSWatcher {
  let last = initialText;
  const name = basename(file);
  let timer: NodeJS.Timeout | null = null;
  let firstEventAt = 0;
  const check = async (): Promise<void> => {
    timer = null;
    firstEventAt = 0;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // Mid-swap the file may be missing for a moment; the next event brings it back.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') onError(error);
      return;
    }
    if (text === last) return;
    last = text;
    reload(text);
  };
  const watcher = watch(dirname(file), (_event, filename) => {
    if (filename !== null && filename !== name && !filename.startsWith('..')) return;
    const now = Date.now();
    if (timer !== null) clearTimeout(timer);
    else firstEventAt = now;
    timer = setTimeout(() => void check(), Math.max(0, Math.min(DEBOUNCE_MS, firstEventAt + MAX_WAIT_MS - now)));
  });
  watcher.on('error', onError);
  return watcher;
}
