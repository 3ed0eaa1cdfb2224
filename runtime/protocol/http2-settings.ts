// HTTP/2 on the proxy listeners (workers/http2), set by CLI options on the primary and passed to
// every worker in its boot data. Both threads import this file.

export interface Http2Settings {
  /** h2c with prior knowledge on the plain port (a connection opening with the HTTP/2 preface). */
  h2c: boolean;
  /** `h2` offered by ALPN on the TLS port (before `http/1.1`). */
  alpn: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS per connection (nginx http2_max_concurrent_streams: 128). */
  maxConcurrentStreams: number;
  /**
   * Streams a client may reset within RESET_WINDOW_MS on one connection; one more and the
   * connection gets GOAWAY (ENHANCE_YOUR_CALM) and is closed (the rapid-reset defence, CVE-2023-44487).
   */
  maxResets: number;
}

/** The window the reset count of a connection covers. */
export const RESET_WINDOW_MS = 10_000;

export const DEFAULT_HTTP2_SETTINGS: Readonly<Http2Settings> = Object.freeze({
  h2c: false,
  alpn: true,
  maxConcurrentStreams: 128,
  maxResets: 200,
});
