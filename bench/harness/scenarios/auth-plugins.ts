// Runs on the bench orchestrator. Scenario "auth": what each authentication plugin costs alone.
// One Sluice with 1 worker and one route per case — no plugins, key-auth, basic-auth, hmac-auth,
// jwt HS256, jwt RS256, jwt ES256, key-auth + acl — loaded in alternation (compare.ts), so every case runs
// on the same process and the same upstream; each is reported as a ratio to "no plugins" of the
// same rounds: the same request (its credential headers too, which a route without auth forwards
// as they are) sent to the route without plugins, so that the figure is what enabling the plugin
// costs and not what carrying a 200-byte token costs; and, for reference, a bare request. Credentials are made up front (a fresh Date for hmac-auth with a clock skew that
// covers the run; jwt tokens without exp), so every request is a 200 that ran the whole check.
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { arrivalDriver } from '../load/arrival.ts';
import { compare, type Target } from '../load/compare.ts';
import type { BenchContext } from '../context.ts';
import { describeBackground } from '../report/machine.ts';
import { stop, type Child } from '../proc.ts';
import { brief, pairedRatio, summaryTable, type Summary } from '../report/report.ts';
import { startSluice } from '../targets/sluice.ts';
import { routePerCase } from '../targets/sluice-configs.ts';

const GOAL_MAX_COST_PCT = 10;

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function jwt(alg: 'HS256' | 'RS256' | 'ES256', iss: string, key: string | KeyObject): string {
  const input = `${b64({ typ: 'JWT', alg })}.${b64({ iss, sub: 'bench' })}`;
  const signature =
    typeof key === 'string' ? createHmac('sha256', key).update(input).digest()
    : sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${signature.toString('base64url')}`;
}

export interface AuthCase {
  name: string;
  path: string;
  headers: Record<string, string>;
}

export interface AuthBench {
  /** The routes (one per case, and `none` at /none without plugins) and the consumer they check. */
  config: { _format_version: string; services: unknown[]; consumers: unknown[] };
  cases: AuthCase[];
}

/**
 * The auth bench's config and requests, shared with bench/plugin-instructions.ts so that both
 * measure the same routes with the same credentials.
 */
export function authBench(upstreamUrl: string): AuthBench {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const config = {
    ...routePerCase(upstreamUrl, {
      'none': [],
      'key-auth': [{ name: 'key-auth' }],
      'basic-auth': [{ name: 'basic-auth' }],
      'hmac-auth': [{ name: 'hmac-auth', config: { clock_skew: 86_400 } }],
      'jwt-hs256': [{ name: 'jwt' }],
      'jwt-rs256': [{ name: 'jwt' }],
      'jwt-es256': [{ name: 'jwt' }],
      'acl': [{ name: 'key-auth' }, { name: 'acl', config: { allow: ['bench'] } }],
    }),
    consumers: [
      {
        username: 'bench',
        keyauth_credentials: [{ key: 'bench-key' }],
        basicauth_credentials: [{ username: 'bench', password: 'bench-password' }],
        hmacauth_credentials: [{ username: 'bench-hmac', secret: 'bench-hmac-secret' }],
        jwt_secrets: [
          { key: 'bench-hs', algorithm: 'HS256', secret: 'bench-jwt-secret' },
          { key: 'bench-rs', algorithm: 'RS256', rsa_public_key: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
          { key: 'bench-es', algorithm: 'ES256', rsa_public_key: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
        ],
        acls: [{ group: 'bench' }],
      },
    ],
  };
  const date = new Date().toUTCString();
  const hmac = createHmac('sha256', 'bench-hmac-secret').update(`date: ${date}\n@request-target: get /hmac-auth`).digest('base64');
  const cases: AuthCase[] = [
    { name: 'key-auth', path: '/key-auth', headers: { apikey: 'bench-key' } },
    { name: 'basic-auth', path: '/basic-auth', headers: { authorization: `Basic ${Buffer.from('bench:bench-password').toString('base64')}` } },
    { name: 'hmac-auth (sha256)', path: '/hmac-auth', headers: { date, authorization: `hmac username="bench-hmac", algorithm="hmac-sha256", headers="date @request-target", signature="${hmac}"` } },
    { name: 'jwt HS256', path: '/jwt-hs256', headers: { authorization: `Bearer ${jwt('HS256', 'bench-hs', 'bench-jwt-secret')}` } },
    { name: 'jwt RS256', path: '/jwt-rs256', headers: { authorization: `Bearer ${jwt('RS256', 'bench-rs', rsa.privateKey)}` } },
    { name: 'jwt ES256', path: '/jwt-es256', headers: { authorization: `Bearer ${jwt('ES256', 'bench-es', ec.privateKey)}` } },
    { name: 'key-auth + acl', path: '/acl', headers: { apikey: 'bench-key' } },
  ];
  return { config, cases };
}

export async function runAuthPluginsScenario(ctx: BenchContext): Promise<void> {
  ctx.out('\n## Auth plugin cost: Sluice 1 worker, each plugin alone vs no plugins (one process, one route per case)');
  ctx.out(await describeBackground());
  const children: Child[] = [];
  try {
    const { config, cases } = authBench(ctx.upstreamUrl);
    const sluice = await startSluice({ name: 'sluice-auth', workers: 1, config, tmpDir: ctx.tmpDir, nodeArgs: ctx.sluiceNodeArgs });
    children.push(sluice.child);
    const base = sluice.proxyUrl;
    const pid = sluice.child.pid;
    // One no-plugins target per distinct credential header set (key-auth and acl share one).
    const controlNames = new Map<string, string>();
    for (const c of cases) if (!controlNames.has(JSON.stringify(c.headers))) controlNames.set(JSON.stringify(c.headers), `no plugins, ${c.name}'s headers`);
    const controlName = (c: { headers: Record<string, string> }): string => controlNames.get(JSON.stringify(c.headers))!;
    const controls = new Map<string, Target>();
    for (const c of cases) controls.set(controlName(c), { name: controlName(c), url: `${base}/none`, headers: c.headers, pid });
    const targets: Target[] = [
      { name: 'no plugins', url: `${base}/none`, pid },
      ...controls.values(),
      ...cases.map((c): Target => ({ name: c.name, url: `${base}${c.path}`, headers: c.headers, pid })),
    ];
    // With --rate, every target runs at that fixed rate (open loop): compared on CPU per request at
    // one load, which the closed loop's shifting balance of wrk, nginx and Sluice on 2 cores blurs.
    const settings = ctx.churnRate === null ? ctx.settings : { ...ctx.settings, driver: arrivalDriver(ctx.churnRate) };
    if (ctx.churnRate !== null) ctx.out(`load: ${settings.driver.describe}; judged on CPU/request`);
    const outcomes = await compare(targets, settings);
    for (const o of outcomes) if ('skipped' in o) ctx.out(`${o.name}: skipped: ${o.skipped}`);
    const measured = outcomes.filter((o): o is { name: string; summary: Summary } => 'summary' in o);
    ctx.out('');
    ctx.out(summaryTable(measured));
    const byName = new Map(measured.map((m) => [m.name, m]));
    const bare = byName.get('no plugins');
    const pct = (m: { summary: Summary }, base: { summary: Summary } | undefined, metric: 'rps' | 'cpuUsPerReq'): number =>
      base === undefined ? NaN : metric === 'rps' ? (1 - pairedRatio(m.summary, base.summary, 'rps')) * 100 : (pairedRatio(m.summary, base.summary, 'cpuUsPerReq') - 1) * 100;
    const fmt = (n: number, sign = false): string => (Number.isFinite(n) ? `${sign && n >= 0 ? '+' : ''}${n.toFixed(1)} %` : 'n/a');
    ctx.out('');
    const judged = ctx.churnRate === null ? 'throughput cost' : 'CPU/request cost';
    ctx.out(`| plugin | ${judged} vs the same request without plugins | CPU/request vs the same | throughput cost vs a bare request without plugins | goal ≤ ${GOAL_MAX_COST_PCT} % |`);
    ctx.out('|---|---|---|---|---|');
    for (const c of cases) {
      const m = byName.get(c.name);
      if (m === undefined) continue;
      const control = byName.get(controlName(c));
      // At a fixed rate every target serves the same req/s: the cost is the CPU per request.
      const cost = pct(m, control, ctx.churnRate === null ? 'rps' : 'cpuUsPerReq');
      ctx.out(`| ${c.name} | ${fmt(cost)} | ${fmt(pct(m, control, 'cpuUsPerReq'), true)} | ${fmt(pct(m, bare, 'rps'))} | ${cost <= GOAL_MAX_COST_PCT ? 'met' : 'missed'} |`);
    }
  } catch (err) {
    ctx.out(`skipped: ${brief(err)}`);
  } finally {
    await Promise.all(children.map((c) => stop(c)));
  }
}
