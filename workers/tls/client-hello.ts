// The server name a TLS ClientHello asks for, read from the connection's first bytes (worker
// thread). The TLS listener already holds those bytes (it sniffs them to tell TLS from plain
// HTTP), so it can pick the certificate before the handshake starts and hand the TLSSocket that
// context directly, instead of pausing every handshake for node's SNICallback (a cert callback:
// a call into JS in the middle of OpenSSL's ClientHello processing, then the certificate and key
// swapped into the SSL object, each checked against the other).
// Only the first TLS record is read. Whatever cannot be read with certainty here — a ClientHello
// split over several records or TCP segments, a malformed one — gives `undefined`, and the
// listener falls back to the SNICallback: OpenSSL then parses the hello, and refuses a broken one,
// exactly as before. This parser never decides whether a hello is valid.
// Layout (RFC 8446 §4.1.2, RFC 6066 §3): record header (type 22, version, length), handshake
// header (type 1, 24-bit length), legacy_version, random[32], session_id<0..32>,
// cipher_suites<2..2^16-2>, compression_methods<1..2^8-1>, extensions<8..2^16-1>; the extension
// server_name (0) holds a ServerNameList of (name_type, HostName<1..2^16-1>), host_name is type 0.

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0x0000;
const NAME_TYPE_HOST_NAME = 0x00;
/** A DNS name is at most 253 characters (RFC 1035); OpenSSL refuses longer ones. */
const MAX_HOST_NAME = 255;

/**
 * The host name of the ClientHello at the start of `bytes`: the name (as sent, not lower-cased),
 * null when the hello is complete in the first record and carries no server_name, undefined when
 * that cannot be told from these bytes.
 */
export function clientHelloServerName(bytes: Uint8Array): string | null | undefined {
  if (bytes.length < 9 || bytes[0] !== RECORD_HANDSHAKE) return undefined;
  const recordEnd = 5 + ((bytes[3]! << 8) | bytes[4]!);
  if (bytes[5] !== HANDSHAKE_CLIENT_HELLO) return undefined;
  const helloEnd = 9 + ((bytes[6]! << 16) | (bytes[7]! << 8) | bytes[8]!);
  // The whole hello must be in the first record, and the record in these bytes.
  if (helloEnd > recordEnd || recordEnd > bytes.length) return undefined;
  let at = 9 + 2 + 32;
  if (at + 1 > helloEnd) return undefined;
  at += 1 + bytes[at]!; // session_id
  if (at + 2 > helloEnd) return undefined;
  at += 2 + ((bytes[at]! << 8) | bytes[at + 1]!); // cipher_suites
  if (at + 1 > helloEnd) return undefined;
  at += 1 + bytes[at]!; // compression_methods
  // No extensions at all (TLS 1.2 allows it): a complete hello without a server name.
  if (at === helloEnd) return null;
  if (at + 2 > helloEnd) return undefined;
  const extensionsEnd = at + 2 + ((bytes[at]! << 8) | bytes[at + 1]!);
  if (extensionsEnd !== helloEnd) return undefined;
  at += 2;
  while (at < extensionsEnd) {
    if (at + 4 > extensionsEnd) return undefined;
    const type = (bytes[at]! << 8) | bytes[at + 1]!;
    const end = at + 4 + ((bytes[at + 2]! << 8) | bytes[at + 3]!);
    if (end > extensionsEnd) return undefined;
    if (type === EXTENSION_SERVER_NAME) return hostName(bytes, at + 4, end);
    at = end;
  }
  return null;
}

/** The host_name entry of a server_name extension's body [at, end). */
function hostName(bytes: Uint8Array, at: number, end: number): string | undefined {
  if (at + 2 > end) return undefined;
  const listEnd = at + 2 + ((bytes[at]! << 8) | bytes[at + 1]!);
  if (listEnd !== end) return undefined;
  at += 2;
  // RFC 6066 allows one name per type; only host_name is defined. Anything else: OpenSSL decides.
  if (at + 3 > listEnd || bytes[at] !== NAME_TYPE_HOST_NAME) return undefined;
  const length = (bytes[at + 1]! << 8) | bytes[at + 2]!;
  at += 3;
  if (length === 0 || length > MAX_HOST_NAME || at + length !== listEnd) return undefined;
  let name = '';
  for (let i = at; i < at + length; i++) {
    const byte = bytes[i]!;
    // A host name is printable ASCII; a NUL or anything else is OpenSSL's to refuse.
    if (byte <= 0x20 || byte >= 0x7f) return undefined;
    name += String.fromCharCode(byte);
  }
  return name;
}
