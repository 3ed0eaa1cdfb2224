// GET and POST /config on the Admin API (primary thread).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GROUPS } from '../../config/types.ts';
import type { ConfigStore } from '../config-store.ts';
import { deltaSize } from '../config-store.ts';
import { ErrorCodes, SluiceError } from '../protocol/errors.ts';
import type { Supervisor } from '../supervisor.ts';
import { BodyTooLarge, readBody, sendJson } from './http.ts';
import { shownEntities } from './redact.ts';

const MAX_CONFIG_BYTES = 64 * 1024 * 1024;
const CONVERGE_TIMEOUT_MS = 30_000;
const WRAPPED = /^\s*\{\s*"config"\s*:/;

/** The current config, flattened, in Kong's declarative shape; private keys only when `revealKeys` (redact.ts). */
export function getConfig(res: ServerResponse, store: ConfigStore, revealKeys = false): void {
  const snapshot = store.snapshot;
  const config: Record<string, unknown> = { _format_version: '3.0' };
  for (const group of GROUPS) config[group] = shownEntities(group, Object.values(snapshot.entities[group]), revealKeys);
  sendJson(res, 200, { version: snapshot.version, configuration_hash: snapshot.hash, group_hashes: snapshot.groupHashes, config });
}

/**
 * Kong accepts the declarative config as the raw body (JSON or YAML) or as JSON `{"config": "..."}`.
 * `?check_hash=1` answers 304 when nothing changed; `?wait=1` answers once every worker applied it.
 */
export async function postConfig(req: IncomingMessage, res: ServerResponse, url: URL, store: ConfigStore, supervisor: Supervisor): Promise<void> {
  let text: string;
  try {
    text = await readBody(req, MAX_CONFIG_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLarge) return sendJson(res, 413, { message: error.message });
    throw error;
  }
  const type = req.headers['content-type'] ?? '';
  let format: 'json' | 'yaml' | undefined = type.includes('json') ? 'json' : type.includes('yaml') ? 'yaml' : undefined;
  // Kong's wrapper form; checked by prefix so a plain 10k-route JSON body is not parsed twice.
  if (format === 'json' && WRAPPED.test(text)) {
    try {
      const body = JSON.parse(text) as { config?: unknown };
      if (typeof body.config === 'string') {
        text = body.config;
        format = undefined;
      }
    } catch {
      // Not JSON after all: the config layer reports the parse error precisely.
    }
  }
  const outcome = await store.load({ text, format, source: 'admin' });
  switch (outcome.status) {
    case 'busy':
      return sendJson(res, 429, { code: 'SLUICE_ERR_CONFIG_BUSY', message: ErrorCodes.SLUICE_ERR_CONFIG_BUSY.message }, { 'retry-after': '1' });
    case 'invalid':
      return sendJson(res, ErrorCodes[outcome.code].status, {
        code: outcome.code,
        name: 'invalid declarative configuration',
        message: `${ErrorCodes[outcome.code].message}: ${outcome.errors.length} error(s)`,
        flattened_errors: outcome.errors,
      });
    case 'unchanged':
      if (url.searchParams.get('check_hash') === '1') return sendJson(res, 304, null);
      return sendJson(res, 200, { version: outcome.version, configuration_hash: outcome.hash, unchanged: true });
    case 'applied': {
      const body: Record<string, unknown> = { version: outcome.version, configuration_hash: outcome.hash, ...deltaSize(outcome.delta), ...(outcome.warnings.length === 0 ? {} : { warnings: outcome.warnings }) };
      if (url.searchParams.get('wait') === '1') {
        try {
          body.converged_ms = Number((await supervisor.waitApplied(outcome.version, CONVERGE_TIMEOUT_MS)).toFixed(3));
        } catch (error) {
          // A worker that reported it cannot apply the config answers at once (500, with its error);
          // one that did not apply in time answers 504. Either way the config stays the current one.
          if (!(error instanceof SluiceError)) throw error;
          return sendJson(res, error.status, { ...body, code: error.code, message: error.message, workers: error.details });
        }
      }
      return sendJson(res, 201, body);
    }
  }
}
