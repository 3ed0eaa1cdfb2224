// Collecting config errors in Kong's flattened shape. Pure; runs on any thread.
// Validation never stops at the first error: every stage reports into one list.
import type { FlatError } from './types.ts';

/** Something errors can be reported against: an entity item, or the document itself. */
export interface ErrorTarget {
  /** Kong's entity type (`route`, `keyauth_credential`), or `config` for the document. */
  readonly type: string;
  /** Name, else id, else position in the file; null for the document. */
  label(): string | null;
  /** Set to false once an error names this target. */
  ok: boolean;
  /** Fields errors were reported on, when the target keeps track (later checks skip them). */
  readonly failed?: Set<string>;
  /** Where the entity sits in the file (`services.0.routes.1`), for an entity. */
  readonly path?: string;
  /** Its fields as written (children taken out), for an entity. */
  readonly value?: Record<string, unknown>;
}

export class ErrorList {
  readonly list: FlatError[] = [];
  /** What does not make the config invalid but should be said (an expired certificate). */
  readonly warnings: FlatError[] = [];

  warn(target: ErrorTarget, field: string, message: string): void {
    this.warnings.push({ entity_type: target.type, entity: target.label(), field, message });
  }

  add(target: ErrorTarget, field: string, message: string): void {
    target.ok = false;
    target.failed?.add(field);
    const e: FlatError = { entity_type: target.type, entity: target.label(), field, message };
    if (target.path !== undefined) {
      e.position = target.path;
      const v = target.value;
      if (typeof v?.['id'] === 'string') e.entity_id = v['id'];
      if (Array.isArray(v?.['tags'])) e.entity_tags = (v['tags'] as unknown[]).filter((t): t is string => typeof t === 'string');
    }
    this.list.push(e);
  }

  /** A valid Kong setting Sluice does not implement (the message says "not supported by Sluice"). */
  unsupported(target: ErrorTarget, field: string, message: string): void {
    this.add(target, field, message);
    (this.list[this.list.length - 1] as FlatError).code = 'SLUICE_ERR_UNSUPPORTED';
  }

  get size(): number {
    return this.list.length;
  }
}

/** The document as an error target (top-level fields, collections that are not arrays). */
export function documentTarget(): ErrorTarget {
  return { type: 'config', label: () => null, ok: true };
}

/** `a` + `b` as a dotted path, skipping empty parts. */
export function joinPath(a: string, b: string | number): string {
  const tail = String(b);
  if (a === '') return tail;
  if (tail === '') return a;
  return `${a}.${tail}`;
}
