// Every bundled plugin's config schema, by name: the PluginSchemas registry config validation
// takes. Pure data, usable on any thread.
//
// Why here and not next to each handler (Kong keeps kong/plugins/<name>/schema.lua beside
// handler.lua): the primary validates plugin configs (its piscina task, the Admin API's
// /schemas/plugins/{name}) and the primary may not import workers/. A schema is plain data with no
// data-plane code, so it belongs to config/, which both sides import. A plugin is therefore its
// behaviour in workers/plugins/<name>/ and its schema in config/plugins/<name>.ts — the handler
// imports its schema from here, and this list is the one place a new plugin's schema is added.
import type { PluginSchemas } from '../plugin-schema.ts';
import { schema as acl } from './acl.ts';
import { schema as basicAuth } from './basic-auth.ts';
import { schema as correlationId } from './correlation-id.ts';
import { schema as fileLog } from './file-log.ts';
import { schema as hmacAuth } from './hmac-auth.ts';
import { schema as httpLog } from './http-log.ts';
import { schema as jwt } from './jwt.ts';
import { schema as keyAuth } from './key-auth.ts';
import { schema as prometheus } from './prometheus.ts';
import { schema as proxyCache } from './proxy-cache.ts';
import { schema as rateLimiting } from './rate-limiting.ts';
import { schema as requestTermination } from './request-termination.ts';
import { schema as syslog } from './syslog.ts';
import { schema as tcpLog } from './tcp-log.ts';
import { schema as udpLog } from './udp-log.ts';
import { schema as requestTransformer } from './request-transformer.ts';
import { schema as responseTransformer } from './response-transformer.ts';
import { schema as botDetection } from './bot-detection.ts';
import { schema as cors } from './cors.ts';
import { schema as ipRestriction } from './ip-restriction.ts';
import { schema as redirect } from './redirect.ts';
import { schema as requestSizeLimiting } from './request-size-limiting.ts';
import { schema as responseRatelimiting } from './response-ratelimiting.ts';

// Logging plugins (http-log, file-log, tcp-log, udp-log, syslog): one line, kept apart so merges stay easy.
const logging = [httpLog, fileLog, tcpLog, udpLog, syslog];

/** The traffic-control plugins (issue 16). */
const traffic = [botDetection, cors, ipRestriction, redirect, requestSizeLimiting, responseRatelimiting];
/** The transformation and caching plugins (issue 16). */
const transformation = [proxyCache, requestTransformer, responseTransformer];

export const pluginSchemas: PluginSchemas = Object.fromEntries(
  [acl, basicAuth, correlationId, hmacAuth, jwt, keyAuth, prometheus, rateLimiting, requestTermination, ...traffic, ...transformation, ...logging].map((s) => [s.name, s]),
);
