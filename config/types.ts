// Shapes of the declarative config after parsing, flattening and defaulting.
// Pure types: imported by the primary, the workers, piscina tasks and tests alike.
// Field names follow Kong 3.x entities so a Kong user recognises every one.

/** A reference to another entity, as Kong writes it: `{ id }`. */
export interface Ref {
  id: string;
}

export interface Service {
  id: string;
  name: string | null;
  protocol: 'http' | 'https' | 'ws' | 'wss' | 'grpc' | 'grpcs';
  host: string;
  port: number;
  path: string | null;
  retries: number;
  connect_timeout: number;
  write_timeout: number;
  read_timeout: number;
  /** Verify an https upstream's certificate; null: the gateway's --upstream-tls-verify decides. */
  tls_verify: boolean | null;
  /** Longest certificate chain accepted when verifying; null: OpenSSL's default. */
  tls_verify_depth: number | null;
  /** The certificate this service presents to its upstream (mTLS); https only. Always set by the config layer (null when absent); optional only so hand-built fixtures stay valid. */
  client_certificate?: Ref | null;
  /** Ids of `ca_certificates` that verify the upstream's certificate, instead of --upstream-trusted-ca (set like client_certificate). */
  ca_certificates?: string[] | null;
  enabled: boolean;
  tags: string[] | null;
}

export interface Route {
  id: string;
  name: string | null;
  service: Ref | null;
  protocols: string[];
  methods: string[] | null;
  hosts: string[] | null;
  paths: string[] | null;
  headers: Record<string, string[]> | null;
  /** Server names (exact, lower-case) the request's TLS connection must have sent; null: any. Set like Service.client_certificate. */
  snis?: string[] | null;
  strip_path: boolean;
  preserve_host: boolean;
  regex_priority: number;
  path_handling: 'v0' | 'v1';
  https_redirect_status_code: number;
  request_buffering: boolean;
  response_buffering: boolean;
  tags: string[] | null;
  /** Position in the source file; the router's last tie-breaker (Kong: created_at). */
  created_at: number;
}

export interface Upstream {
  id: string;
  name: string;
  algorithm: 'round-robin' | 'consistent-hashing' | 'least-connections' | 'latency';
  hash_on: string;
  hash_fallback: string;
  hash_on_header: string | null;
  hash_fallback_header: string | null;
  hash_on_cookie: string | null;
  hash_on_cookie_path: string;
  hash_on_query_arg: string | null;
  hash_fallback_query_arg: string | null;
  hash_on_uri_capture: string | null;
  hash_fallback_uri_capture: string | null;
  slots: number;
  host_header: string | null;
  healthchecks: Record<string, unknown>;
  tags: string[] | null;
}

export interface Target {
  id: string;
  upstream: Ref;
  /** `host:port` (port defaults to 8000 as in Kong). */
  target: string;
  weight: number;
  tags: string[] | null;
}

export interface Consumer {
  id: string;
  username: string | null;
  custom_id: string | null;
  tags: string[] | null;
}

/** Kong keeps one DAO per credential type; Sluice keeps them in one group, told apart by `kind`. */
export type CredentialKind = 'keyauth_credentials' | 'basicauth_credentials' | 'jwt_secrets' | 'acls' | 'hmacauth_credentials';

export interface Credential {
  id: string;
  kind: CredentialKind;
  consumer: Ref;
  /** The kind's own fields (key, username/password, key/secret/algorithm, group...). */
  [field: string]: unknown;
}

export interface Plugin {
  id: string;
  name: string;
  enabled: boolean;
  route: Ref | null;
  service: Ref | null;
  consumer: Ref | null;
  protocols: string[];
  config: Record<string, unknown>;
  tags: string[] | null;
  /** Kong 3.x `instance_name`. Always set (null when absent) by prepareConfig; optional only so hand-built fixtures stay valid. */
  instance_name?: string | null;
}

/** Typed views of the credential kinds, for code that has already switched on `kind`. */
export interface KeyAuthCredential extends Credential {
  kind: 'keyauth_credentials';
  key: string;
  tags: string[] | null;
}

export interface BasicAuthCredential extends Credential {
  kind: 'basicauth_credentials';
  username: string;
  /** sha1 hex of `password .. consumer.id`, as Kong stores it (already hashed in the file when `_transform: false`). */
  password: string;
  tags: string[] | null;
}

export interface JwtSecret extends Credential {
  kind: 'jwt_secrets';
  key: string;
  secret: string | null;
  algorithm: string;
  rsa_public_key: string | null;
  tags: string[] | null;
}

export interface HmacAuthCredential extends Credential {
  kind: 'hmacauth_credentials';
  username: string;
  secret: string;
  tags: string[] | null;
}

export interface AclCredential extends Credential {
  kind: 'acls';
  group: string;
  tags: string[] | null;
}

/** Shape of `Upstream.healthchecks` after defaulting (Kong's nested defaults are always filled in). */
export interface UpstreamHealthchecks {
  threshold: number;
  active: {
    type: 'http' | 'https' | 'tcp';
    timeout: number;
    concurrency: number;
    http_path: string;
    https_sni: string | null;
    https_verify_certificate: boolean;
    headers: Record<string, string[]> | null;
    healthy: { interval: number; http_statuses: number[]; successes: number };
    unhealthy: { interval: number; http_statuses: number[]; tcp_failures: number; timeouts: number; http_failures: number };
  };
  passive: {
    type: 'http' | 'https' | 'tcp';
    healthy: { http_statuses: number[]; successes: number };
    unhealthy: { http_statuses: number[]; tcp_failures: number; timeouts: number; http_failures: number };
  };
}

/** A TLS certificate and its key, PEM (Kong's `certificates`); `_alt` is a second one of another key type. */
export interface Certificate {
  id: string;
  cert: string;
  key: string;
  cert_alt: string | null;
  key_alt: string | null;
  tags: string[] | null;
}

/** A server name (exact, `*.example.com`, `example.*` or `*`) and the certificate it selects. */
export interface Sni {
  id: string;
  name: string;
  certificate: Ref;
  tags: string[] | null;
}

/** A CA certificate that services may trust for their upstreams (`ca_certificates`). */
export interface CaCertificate {
  id: string;
  cert: string;
  /** SHA-256 of the certificate (DER), hex, as Kong computes it. */
  cert_digest: string;
  tags: string[] | null;
}

/** The groups a config is hashed and diffed by. Order here is the canonical order. */
export const GROUPS = ['services', 'routes', 'upstreams', 'targets', 'consumers', 'credentials', 'plugins', 'certificates', 'snis', 'ca_certificates'] as const;
export type GroupName = (typeof GROUPS)[number];

export interface EntityByGroup {
  services: Service;
  routes: Route;
  upstreams: Upstream;
  targets: Target;
  consumers: Consumer;
  credentials: Credential;
  plugins: Plugin;
  certificates: Certificate;
  snis: Sni;
  ca_certificates: CaCertificate;
}

/** Entities of each group keyed by id. */
export type Entities = { [G in GroupName]: Record<string, EntityByGroup[G]> };

export type GroupHashes = Record<GroupName, string>;

/** A validated, flattened, hashed config: what the primary owns and a worker mirrors. */
export interface Snapshot {
  version: number;
  /** Digest of the whole config (Kong's `configuration_hash`). Never empty. */
  hash: string;
  groupHashes: GroupHashes;
  /** Digest of each entity, keyed by group then id; the diff compares these. */
  entityHashes: { [G in GroupName]: Record<string, string> };
  entities: Entities;
}

/** What changed between two snapshots: only changed entities travel. */
export interface Delta {
  version: number;
  fromVersion: number;
  hash: string;
  upserts: { [G in GroupName]?: EntityByGroup[G][] };
  removes: { [G in GroupName]?: string[] };
  groupHashes: GroupHashes;
  /** Entity hashes for upserted entities, so a worker can key instances by them without rehashing. */
  upsertHashes: { [G in GroupName]?: Record<string, string> };
}

/** One config error in Kong's flattened shape. */
export interface FlatError {
  entity_type: string;
  /** Entity name (or username, target...) when it has one, else its id, else its position. */
  entity: string | null;
  /** Dotted path inside the entity (`paths.0`, `config.minute`), or '' for the entity itself. */
  field: string;
  message: string;
  /**
   * Set when the value is valid Kong but names a feature Sluice does not implement: the file is
   * refused for that, loudly, instead of loading with the setting ignored.
   */
  code?: 'SLUICE_ERR_UNSUPPORTED';
  /** Where the entity sits in the file (`services.0.routes.1`); absent for document-level errors. */
  position?: string;
  /** The entity's id and tags as written, when it has them (Kong's flattened_errors carry both). */
  entity_id?: string;
  entity_tags?: string[];
}
