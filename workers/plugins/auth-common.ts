// Runs on a worker thread: what Kong's authentication plugins share (basic-auth, hmac-auth, jwt,
// key-auth): `set_consumer` with the X-Consumer-* headers, and the `anonymous` fallback that makes
// several auth plugins on one route a logical OR.
import type { Consumer, Credential } from '../../config/types.ts';
import type { RequestContext } from '../proxy/context.ts';
import type { PluginEnv } from './types.ts';

/** A failed authentication: Kong's `unauthorized(...)` triple. */
export interface AuthFailure {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string>> | undefined;
}

export function failure(status: number, body: unknown, headers?: Record<string, string>): AuthFailure {
  return Object.freeze({ status, body, headers: headers === undefined ? undefined : Object.freeze({ ...headers }) });
}

/**
 * Kong's set_consumer: the consumer and credential for later plugins, and the X-Consumer-* headers
 * for the upstream — each cleared when absent, so a client cannot forge them. `identifier` is what
 * the plugin names its credential by (X-Credential-Identifier): key-auth the credential id,
 * basic-auth and hmac-auth its username, jwt its key.
 */
export function setConsumer(ctx: RequestContext, consumer: Consumer, credential: Credential | null, identifier: string | null): void {
  ctx.consumer = consumer;
  ctx.credential = credential;
  // Names already lower-case: written straight into the overrides (no setUpstreamHeader lower-casing).
  const headers = (ctx.upstreamHeaders ??= {});
  headers['x-consumer-id'] = consumer.id;
  headers['x-consumer-custom-id'] = consumer.custom_id;
  headers['x-consumer-username'] = consumer.username;
  headers['x-credential-identifier'] = credential === null ? null : identifier;
  headers['x-anonymous-consumer'] = credential === null ? 'true' : null;
}

/**
 * After a failed authentication: with `anonymous`, the anonymous consumer (500 when it does not
 * exist, as Kong); without, the failure's answer.
 */
export function failAuth(ctx: RequestContext, env: PluginEnv, plugin: string, anonymous: string | null, failed: AuthFailure): void {
  if (anonymous === null) {
    ctx.exit(failed.status, failed.body, failed.headers as Record<string, string> | undefined);
    return;
  }
  const consumer = env.credentials().consumerByIdOrUsername(anonymous);
  if (consumer === null) {
    const message = `anonymous consumer ${anonymous} is configured but doesn't exist`;
    env.log.error({ plugin, anonymous }, message);
    ctx.exit(500, { message });
    return;
  }
  setConsumer(ctx, consumer, null, null);
}

/** With `anonymous`, auth plugins are a logical OR: one that already authenticated wins. */
export function alreadyAuthenticated(ctx: RequestContext, anonymous: string | null): boolean {
  return anonymous !== null && ctx.credential !== null;
}
