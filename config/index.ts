// The config layer's public surface. Pure; runs on any thread (primary, piscina task, worker, test).
export { prepareConfig, toSnapshot } from './prepare.ts';
export type { PrepareOptions, PrepareResult, PreparedConfig, RejectedConfig } from './prepare.ts';
export { validateConfig } from './validate.ts';
export type { ValidateResult } from './validate.ts';
export { parseText, detectFormat } from './parse.ts';
export type { ConfigFormat, ParseResult } from './parse.ts';
export { digest, entityHash, groupHash, configHash, hashEntities } from './hash.ts';
export type { EntityHashes } from './hash.ts';
export { diff } from './diff.ts';
export { applyDelta, DeltaGapError } from './apply.ts';
export { deriveId, isUuid, SLUICE_NAMESPACE } from './ids.ts';
export { compileRegexPath, isRegexPath } from './regex.ts';
export { parseTarget } from './hosts.ts';
export { LIMITS } from './limits.ts';
export type * from './plugin-schema.ts';
export * from './types.ts';
