// One entity on its way from the file to `Entities`: where it was written, its own fields, the
// references it makes, and (once known) its id. Pure; runs on any thread.
import type { ErrorTarget } from './errors.ts';
import type { CredentialKind, GroupName } from './types.ts';

/** Fields that reference another entity. */
export type RefField = 'service' | 'route' | 'consumer' | 'upstream' | 'certificate' | 'client_certificate';

/** The groups a reference field points into. */
export const REF_GROUP: Record<RefField, GroupName> = {
  service: 'services',
  route: 'routes',
  consumer: 'consumers',
  upstream: 'upstreams',
  certificate: 'certificates',
  client_certificate: 'certificates',
};

/** A collection as written in a file: a top-level key or a key nested in a parent. */
export interface Collection {
  key: string;
  group: GroupName;
  kind: CredentialKind | null;
  /** Kong's singular entity type, used in errors and as the id namespace. */
  type: string;
  /** Reference fields an entity of this collection may carry. */
  refs: readonly RefField[];
}

export class Item implements ErrorTarget {
  readonly collection: Collection;
  readonly type: string;
  readonly group: GroupName;
  readonly kind: CredentialKind | null;
  /** Where it sits in the file: `services.0.routes.1`. */
  readonly path: string;
  /**
   * Its own fields (children and references taken out); defaults are filled in place. Replaced
   * (not edited) when a config preparer reuses the validated fields of an earlier load.
   */
  value: Record<string, unknown>;
  /** References as written (string, `{id}`, `{name}`, null). */
  readonly refs: Partial<Record<RefField, unknown>> = {};
  readonly parent: Item | null;
  /** The reference the parent fills (a route nested in a service gets `service`). */
  readonly parentField: RefField | null;
  /** Position among the entities of its group, in canonical traversal order. */
  ordinal = 0;
  /**
   * For an id derived from its rank among unnamed siblings (resolve.ts naturalKey): that rank and
   * the scope it counts in; -1 when the id is not derived so.
   */
  rank = -1;
  rankScope = '';
  /** Explicit or derived; '' until ids are assigned. */
  id = '';
  /** Resolved references: an id, or null for none. */
  readonly resolved: Partial<Record<RefField, string | null>> = {};
  ok = true;
  /** Fields whose schema errors are not reported: an earlier error already covers them. */
  readonly suppressed = new Set<string>();
  /** Fields an error was reported on; later checks leave them alone instead of piling on. */
  readonly failed = new Set<string>();
  /** Fields filled with generated values (config/generated.ts): they derive from the id, not the file. */
  readonly generated: string[] = [];

  constructor(collection: Collection, path: string, value: Record<string, unknown>, parent: Item | null, parentField: RefField | null) {
    this.collection = collection;
    this.type = collection.type;
    this.group = collection.group;
    this.kind = collection.kind;
    this.path = path;
    this.value = value;
    this.parent = parent;
    this.parentField = parentField;
  }

  /** True when an error was reported on `field` or anything inside it. */
  hasFailed(field: string): boolean {
    for (const f of this.failed) {
      if (f === field || f.startsWith(`${field}.`) || f === '') return true;
    }
    return false;
  }

  /** Name (or username, target...) when it has one, else its id as written, else its position. */
  label(): string | null {
    const v = this.value;
    const named = pickString(v, LABEL_FIELDS[this.kind ?? this.group]);
    if (named !== null) return named;
    return typeof v['id'] === 'string' ? v['id'] : this.path;
  }
}

// Credentials other than basic-auth have no name, and their key is a secret: never echo it.
const LABEL_FIELDS: Record<string, readonly string[]> = {
  services: ['name'],
  routes: ['name'],
  upstreams: ['name'],
  targets: ['target'],
  consumers: ['username', 'custom_id'],
  plugins: ['instance_name', 'name'],
  basicauth_credentials: ['username'],
  keyauth_credentials: [],
  jwt_secrets: [],
  acls: [],
  // A certificate's label is its id: its fields are PEM, and its key is a secret.
  certificates: [],
  snis: ['name'],
  ca_certificates: [],
};

function pickString(v: Record<string, unknown>, fields: readonly string[] | undefined): string | null {
  for (const f of fields ?? []) {
    const x = v[f];
    if (typeof x === 'string' && x !== '') return x;
  }
  return null;
}
