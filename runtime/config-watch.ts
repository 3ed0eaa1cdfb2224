// Reloads the --config file when it changes (primary thread). Watches the file's directory, not the
// file: editors and `kubectl` replace files by atomic rename, and a Kubernetes ConfigMap swaps a
// `..data` symlink, so a watch on the old inode would go silent. Events are debounced and a reload
// only happens when the file's bytes changed.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const DEBOUNCE_MS = 200;

export function watchConfigFile(file: string, initialText: string, reload: (text: string) => void, onError: (error: unknown) => void): FSWatcher {
  let last = initialText;
  let timer: NodeJS.Timeout | null = null;
  const check = async (): Promise<void> => {
    timer = null;
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
  const watcher = watch(dirname(file), () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => void check(), DEBOUNCE_MS);
  });
  watcher.on('error', onError);
  return watcher;
}
