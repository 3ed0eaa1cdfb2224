// The `file-log` plugin (worker thread), as Kong 3.x's: each request's log entry (Kong's
// serializer, workers/workers/logging/serialize.ts) as one JSON line appended to `path`, created rw-r--r-- when
// missing; `reopen` opens the file anew before each write. Writes never block the worker
// (files.ts); SIGUSR1 to the runtime reopens every file (logrotate's postrotate).
import { schema, type Config } from '../../../config/plugins/file-log.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { definePlugin } from '../define.ts';
import { serializeJson } from '../../logging/serialize.ts';
import type { PluginEnv, PluginInstance } from '../types.ts';
import { holdWriter, type FileWriter } from './files.ts';

class FileLog implements PluginInstance {
  readonly #writer: FileWriter;
  readonly #reopen: boolean;

  constructor(config: Config, env: PluginEnv) {
    this.#writer = holdWriter(config.path, env.wheel, env.log);
    this.#reopen = config.reopen;
  }

  log(ctx: RequestContext): void {
    this.#writer.write(`${serializeJson(ctx)}\n`, this.#reopen);
  }

  close(): void {
    this.#writer.release();
  }
}

export default definePlugin<Config>(schema, FileLog);
