// Size limits for config values. Pure constants; any thread.
// Kong bounds few of these; Sluice bounds them all so one bad file cannot make the router or a
// worker's memory explode. Each limit is far above what a real gateway config uses.

export const LIMITS = {
  /** Entity names, usernames, custom ids, plugin instance names. */
  nameLength: 128,
  tagsPerEntity: 64,
  tagLength: 128,
  pathsPerRoute: 1000,
  hostsPerRoute: 1000,
  methodsPerRoute: 64,
  headersPerRoute: 64,
  valuesPerHeader: 1000,
  /** A route path, a service path, a header value. */
  pathLength: 1024,
  /** DNS limit for a full host name. */
  hostLength: 253,
  /** Credential keys, secrets, passwords. */
  secretLength: 4096,
  /** PEM public keys. */
  pemLength: 16384,
} as const;
