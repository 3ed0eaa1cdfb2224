// Kong's environment variables that mean a Sluice option (primary thread), so a Kong container's
// environment mostly works unchanged. Kong reads `KONG_<NAME>` as its kong.conf property <name>;
// of those Sluice reads the ones below, as the weakest layer under its own SLUICE_* variables and
// flags (cli.ts). Their values go through the same parsers as the options they stand for, which
// refuse what Sluice cannot do (an `ssl` listener, a second address) in one line.
import { SluiceError } from './protocol/errors.ts';

/** Kong variable → Sluice option. */
const KONG_VARIABLES: Readonly<Record<string, string>> = {
  KONG_DECLARATIVE_CONFIG: 'config',
  KONG_PROXY_LISTEN: 'proxy-listen',
  KONG_ADMIN_LISTEN: 'admin-listen',
  KONG_STATUS_LISTEN: 'status-listen',
  KONG_HEADERS: 'headers',
  KONG_HEADERS_UPSTREAM: 'headers-upstream',
};

/** The Kong variable an option's value came from. */
export function kongVariable(option: string): string {
  return Object.keys(KONG_VARIABLES).find((variable) => KONG_VARIABLES[variable] === option) ?? option;
}

/** Option values from Kong's variables; an empty variable counts as unset. */
export function kongValues(env: NodeJS.ProcessEnv): Record<string, string> {
  // Sluice is DB-less: Kong with `database = off`, its config from a declarative file.
  const database = env.KONG_DATABASE?.trim();
  if (database !== undefined && database !== '' && database.toLowerCase() !== 'off') {
    throw new SluiceError('SLUICE_ERR_OPTION_UNSUPPORTED', `KONG_DATABASE=${database}: Sluice runs DB-less only (database = off), from a declarative file (KONG_DECLARATIVE_CONFIG)`);
  }
  const values: Record<string, string> = {};
  for (const [variable, option] of Object.entries(KONG_VARIABLES)) {
    const value = env[variable];
    if (value !== undefined && value.trim() !== '') values[option] = value.trim();
  }
  return values;
}
