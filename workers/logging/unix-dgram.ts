// Unix datagram sockets (any thread; the syslog plugin's worker threads and its tests' receivers).
// Node has none, so these are libc's socket(2)/sendto(2)/bind(2)/recv(2) called through koffi, an
// FFI whose prebuilt binaries ship inside its npm package (no compiler, no platform packages).
//
// Every socket is non-blocking (SOCK_NONBLOCK, and MSG_DONTWAIT on each call): a send to a
// receiver whose queue is full returns EAGAIN at once instead of stalling the calling thread, so a
// call never waits and needs no thread of its own. The descriptors are plain fds with no libuv
// handle: they never hold a thread's event loop open, and must be closed with `close`.
//
// koffi is loaded on the first socket, not on import: a worker that runs no syslog plugin never
// loads the native module, and a platform without its binary fails only that socket's creation.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const SOL_SOCKET = 1;
/** Linux's SO_RCVTIMEO (struct timeval: two 64-bit fields on 64-bit Linux). */
const SO_RCVTIMEO = 20;
/** sizeof(struct sockaddr_un): sa_family_t then a 108-byte path. */
const SOCKADDR_UN_SIZE = 110;
const PATH_MAX_BYTES = SOCKADDR_UN_SIZE - 2 - 1;

/** What sendTo answers when the receiver's queue is full (EAGAIN, EWOULDBLOCK, ENOBUFS): try later. */
export const QUEUE_FULL = -1;
/** Answered for a path longer than sockaddr_un holds. */
const ENAMETOOLONG = 36;

type Fn = (...args: unknown[]) => unknown;

interface Libc {
  koffi: typeof Koffi;
  socket: Fn;
  sendto: Fn;
  bind: Fn;
  recv: Fn;
  close: Fn;
  setsockopt: Fn;
  strerror: Fn;
  full: ReadonlySet<number>;
}

let libc: Libc | null = null;

/** libc's calls, bound on first use (the process's own symbols, dlopen(NULL): glibc or musl, whichever Node uses). */
function lib(): Libc {
  if (libc !== null) return libc;
  const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  const self = koffi.load(null);
  const errno = koffi.os.errno;
  libc = {
    koffi,
    socket: self.func('int socket(int domain, int type, int protocol)'),
    sendto: self.func('long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)'),
    bind: self.func('int bind(int fd, const void *addr, uint32_t addrlen)'),
    recv: self.func('long recv(int fd, void *buf, size_t len, int flags)'),
    close: self.func('int close(int fd)'),
    setsockopt: self.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)'),
    strerror: self.func('const char *strerror(int errnum)'),
    full: new Set([errno['EAGAIN'], errno['EWOULDBLOCK'], errno['ENOBUFS']].filter((n): n is number => n !== undefined)),
  };
  return libc;
}

/** A socket address for `path` (struct sockaddr_un), made once per path; null when the path is too long. */
export function socketAddress(path: string): Buffer | null {
  const bytes = Buffer.from(path);
  if (bytes.length > PATH_MAX_BYTES || bytes.includes(0)) return null;
  const address = Buffer.alloc(2 + bytes.length + 1);
  address.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(address, 2);
  return address;
}

/** The system's text for an errno (strerror). */
export function errorText(errno: number): string {
  if (errno === ENAMETOOLONG && libc === null) return 'File name too long';
  return (lib().strerror(errno) as string | null) ?? `errno ${errno}`;
}

export class UnixDgramSocket {
  #fd: number;

  readonly #libc: Libc;
  readonly #flags: number;

  /**
   * Opens a non-blocking unix datagram socket; throws when the system refuses one (out of fds) or
   * koffi cannot load. `blocking`: receive() waits for a datagram (up to receiveTimeout) — only for
   * a receiver on a thread of its own (a benchmark's), never on an event loop.
   */
  constructor(options: { blocking?: boolean } = {}) {
    this.#libc = lib();
    const blocking = options.blocking === true;
    this.#flags = blocking ? 0 : MSG_DONTWAIT;
    const fd = this.#libc.socket(AF_UNIX, SOCK_DGRAM | (blocking ? 0 : SOCK_NONBLOCK) | SOCK_CLOEXEC, 0) as number;
    if (fd < 0) throw new Error(`unix datagram socket: ${errorText(this.#libc.koffi.errno())}`);
    this.#fd = fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /**
   * Sends `message` as one datagram to the socket at `address` (socketAddress): 0 when the kernel
   * took it, QUEUE_FULL when the receiver's queue has no room now, else the errno (ENOENT: no
   * socket there, ECONNREFUSED: nobody bound to it, EMSGSIZE: too large).
   */
  sendTo(message: Buffer, address: Buffer): number {
    const c = this.#libc;
    if (this.#fd < 0) return c.koffi.os.errno['EBADF'] ?? 9;
    if ((c.sendto(this.#fd, message, message.length, this.#flags, address, address.length) as number) >= 0) return 0;
    const errno = c.koffi.errno();
    return c.full.has(errno) ? QUEUE_FULL : errno;
  }

  /** Binds the socket to `path` (a receiver). 0, or the errno. */
  bind(path: string): number {
    const address = socketAddress(path);
    if (address === null) return ENAMETOOLONG;
    return (this.#libc.bind(this.#fd, address, address.length) as number) < 0 ? this.#libc.koffi.errno() : 0;
  }

  /** The next waiting datagram (at most `max` bytes), or null when none is waiting. */
  receive(max = 65_536): Buffer | null {
    const buffer = Buffer.allocUnsafe(max);
    const n = this.receiveInto(buffer);
    return n < 0 ? null : buffer.subarray(0, n);
  }

  /** Reads the next waiting datagram into `buffer` (cut at its length): its length, or -1 when none is waiting. */
  receiveInto(buffer: Buffer): number {
    if (this.#fd < 0) return -1;
    const n = this.#libc.recv(this.#fd, buffer, buffer.length, this.#flags) as number;
    return n < 0 ? -1 : n;
  }

  /** A blocking socket's receive gives up after `ms` (SO_RCVTIMEO), so its thread can look up now and then. 0, or the errno. */
  receiveTimeout(ms: number): number {
    const timeval = Buffer.alloc(16);
    timeval.writeBigInt64LE(BigInt(Math.floor(ms / 1000)), 0);
    timeval.writeBigInt64LE(BigInt((ms % 1000) * 1000), 8);
    return (this.#libc.setsockopt(this.#fd, SOL_SOCKET, SO_RCVTIMEO, timeval, timeval.length) as number) < 0 ? this.#libc.koffi.errno() : 0;
  }

  close(): void {
    if (this.#fd < 0) return;
    this.#libc.close(this.#fd);
    this.#fd = -1;
  }
}
