// syslog's configuration schema (Kong 3.x kong/plugins/syslog/schema.lua: same fields and
// defaults). Plain data; imports only config/.
// Kong's syslog has no socket path field (lsyslog writes to the system's /dev/log); Sluice's is the
// runtime option --syslog-socket (SLUICE_SYSLOG_SOCKET), default /dev/log.
import type { PluginSchema } from '../plugin-schema.ts';
import { PLUGIN_PROTOCOLS } from '../schemas/plugins.ts';
import { LUA_CODE, SEVERITIES, type Severity } from './logging-fields.ts';

export const FACILITIES = [
  'auth', 'authpriv', 'cron', 'daemon', 'ftp', 'kern', 'lpr', 'mail', 'news', 'syslog', 'user', 'uucp',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;
export type Facility = (typeof FACILITIES)[number];

export interface Config {
  log_level: Severity;
  successful_severity: Severity;
  client_errors_severity: Severity;
  server_errors_severity: Severity;
  custom_fields_by_lua: null;
  facility: Facility;
}

const severity = { type: 'string', enum: SEVERITIES, default: 'info', 'x-message': `expected one of: ${SEVERITIES.join(', ')}` };

export const schema: PluginSchema = {
  name: 'syslog',
  priority: 4,
  protocols: PLUGIN_PROTOCOLS,
  config: {
    type: 'object',
    properties: {
      log_level: severity,
      successful_severity: severity,
      client_errors_severity: severity,
      server_errors_severity: severity,
      custom_fields_by_lua: LUA_CODE,
      facility: { type: 'string', enum: FACILITIES, default: 'user', 'x-message': `expected one of: ${FACILITIES.join(', ')}` },
    },
  },
};
