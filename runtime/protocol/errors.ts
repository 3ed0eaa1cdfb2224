// The one registry of Sluice error codes, shared by the primary and the workers.
// Tests assert codes, never message text. Errors cross threads as plain `{code, message, details}`
// (structuredClone drops custom fields and prototypes) and are rebuilt by code with `fromWire`.

export const ErrorCodes = {
  SLUICE_ERR_CONFIG_INVALID: { status: 400, message: 'declarative config is invalid' },
  SLUICE_ERR_CONFIG_PARSE: { status: 400, message: 'declarative config could not be parsed' },
  // Valid Kong, but a feature Sluice does not implement: refused, never loaded and ignored.
  SLUICE_ERR_UNSUPPORTED: { status: 400, message: 'declarative config uses features not supported by Sluice' },
  // Preparing it ran the pool thread out of its heap limit (runtime/pool.ts).
  SLUICE_ERR_CONFIG_TOO_LARGE: { status: 413, message: 'declarative config is too large to prepare' },
  // A delta that does not follow the worker's version (config/apply.ts throws it): resync by snapshot.
  SLUICE_ERR_DELTA_GAP: { status: 500, message: 'config delta does not follow the applied version' },
  // Valid on the primary, but a worker could not build its state from it (it keeps the last good one).
  SLUICE_ERR_CONFIG_APPLY_FAILED: { status: 500, message: 'a worker could not apply the configuration' },
  SLUICE_ERR_CONFIG_BUSY: { status: 429, message: 'another configuration is being applied' },
  SLUICE_ERR_NO_ROUTE: { status: 404, message: 'no Route matched with those values' },
  SLUICE_ERR_UPSTREAM_UNAVAILABLE: { status: 502, message: 'An invalid response was received from the upstream server' },
  SLUICE_ERR_UPSTREAM_TIMEOUT: { status: 504, message: 'The upstream server is timing out' },
  SLUICE_ERR_NO_HEALTHY_TARGET: { status: 503, message: 'failure to get a peer from the ring-balancer' },
  // A service host (a DNS name, no upstream) with no usable answer: Kong's balancer answers so.
  SLUICE_ERR_NAME_RESOLUTION_FAILED: { status: 503, message: 'name resolution failed' },
  SLUICE_ERR_PLUGIN_FAILED: { status: 500, message: 'An unexpected error occurred' },
  SLUICE_ERR_BAD_REQUEST: { status: 400, message: 'Bad request' },
  // The client stopped sending its request body (nginx's client_body_timeout).
  SLUICE_ERR_CLIENT_TIMEOUT: { status: 408, message: 'Request timeout' },
  // nginx's 499: never sent (nobody is listening), but logged and counted as such.
  SLUICE_ERR_CLIENT_GONE: { status: 499, message: 'client closed the connection' },
  SLUICE_ERR_WORKER_TIMEOUT: { status: 504, message: 'a worker did not answer in time' },
  SLUICE_ERR_NODE_VERSION: { status: 500, message: 'Sluice needs Node >= 22.12' },
  // A command-line option or its environment variable (runtime/cli.ts) that is malformed...
  SLUICE_ERR_OPTION_INVALID: { status: 500, message: 'invalid option' },
  // ...or asks for what Sluice cannot do (a TLS listener, a database): refused, never ignored.
  SLUICE_ERR_OPTION_UNSUPPORTED: { status: 500, message: 'option not supported by Sluice' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ErrorCodes[code].message);
    this.name = 'SluiceError';
    this.code = code;
    this.status = ErrorCodes[code].status;
    this.details = details;
  }

  toWire(): WireError {
    return { code: this.code, message: this.message, details: this.details };
  }

  static fromWire(wire: WireError): SluiceError {
    return new SluiceError(wire.code, wire.message, wire.details);
  }
}
