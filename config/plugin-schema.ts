// What a plugin declares about its configuration, as plain data.
// Pure types: a PluginSchemas record is structured-cloned into piscina tasks, so it holds no
// functions. Cross-field rules that JSON Schema cannot say well are Kong's `entity_checks`, as data.

/** A JSON Schema (draft 7 / 2019 subset that ajv 8 understands) for a plugin's `config`. */
export type JSONSchema = { [keyword: string]: unknown };

/**
 * A condition on one config field. `present` means non-null and not an empty string or array.
 * Several keys in one match must all hold.
 */
export interface FieldMatch {
  present?: boolean;
  one_of?: readonly unknown[];
  not_one_of?: readonly unknown[];
  /** The value is an array holding this element (Kong's `contains`). */
  contains?: unknown;
}

/**
 * Kong's `entity_checks`, as data. Field names are dotted paths inside `config`
 * (`minute`, `redis.host`); errors name them as `config.<field>`.
 */
export type PluginCheck =
  /** At least one of these fields must be present. */
  | { at_least_one_of: readonly string[]; message?: string }
  /** Present numeric values must not decrease along this list (rate-limiting: second <= minute <= ...). */
  | { non_decreasing: readonly string[]; message?: string }
  /** When `if_field` matches `if_match`, `then_field` must match `then_match`. */
  | {
      conditional: {
        if_field: string;
        if_match: FieldMatch;
        then_field: string;
        then_match: FieldMatch;
        then_err?: string;
      };
    };

export interface PluginSchema {
  /** Kong's plugin name (`key-auth`). */
  name: string;
  /** Kong's handler PRIORITY: higher runs first. */
  priority?: number;
  /**
   * JSON Schema of `config`, an object. Objects that list `properties` and say nothing about
   * `additionalProperties` are treated as closed: an unknown config field is an error, as in Kong.
   * `default` values are filled in. An `x-message` string on a subschema replaces the error text.
   */
  config: JSONSchema;
  checks?: readonly PluginCheck[];
  /** Protocols the plugin may run on; a plugin's `protocols` must be a subset. Default: any. */
  protocols?: readonly string[];
  /** Kong's `typedefs.no_consumer` / `no_route` / `no_service`: the plugin cannot be scoped so. */
  no_consumer?: boolean;
  no_route?: boolean;
  no_service?: boolean;
}

/** Every plugin Sluice knows, by name. Passed in: config/ never imports the plugins. */
export type PluginSchemas = Record<string, PluginSchema>;
