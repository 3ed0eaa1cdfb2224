// What the Admin API shows of private keys (primary thread): nothing, unless the Admin API is
// authenticated (--admin-token set, so every request that got this far carried it). A key then
// appears only where it was asked for; it never appears in logs or error bodies (config/tls-checks.ts).
import type { Certificate, Entities } from '../../config/types.ts';

export const REDACTED_KEY = '<redacted: the Admin API shows private keys only with --admin-token>';

function redactCertificate(certificate: Certificate): Certificate {
  return { ...certificate, key: REDACTED_KEY, key_alt: certificate.key_alt === null ? null : REDACTED_KEY };
}

/** `list` of the group `group`, with keys replaced unless `reveal`. */
export function shownEntities<G extends keyof Entities>(group: G, list: Array<Entities[G][string]>, reveal: boolean): Array<Entities[G][string]> {
  if (reveal || group !== 'certificates') return list;
  return (list as Certificate[]).map(redactCertificate) as Array<Entities[G][string]>;
}
