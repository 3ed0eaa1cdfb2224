// Unix datagram sockets (any thread; the syslog plugin's worker threads and its tests' receivers).
// Node has none, so these are libc's socket(2)/sendto(2)/bind(2)/recv(2) called through koffi, an
// FFI whose prebuilt binaries ship inside its npm package (no compiler, no platform packages).
//
// Every socket is non-blocking (SOCK_NONBLOCK, and MSG_DONTWAIT on each call): a send to a
// receiver whose queue is full returns EAGAIN at once instead of stalling the calling thread, so a
// call never waits and needs no thread of its own. Calls answer 0 or a positive errno; none throws.
// The descriptors are plain fds with no libuv handle: they never hold a thread's event loop open,
// and must be closed with `close`.
import koffi from 'koffi';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
/** sizeof(struct sockaddr_un): sa_family_t then a 108-byte path. */
const SOCKADDR_UN_SIZE = 110;
const PATH_MAX_BYTES = SOCKADDR_UN_SIZE - 2 - 1;

export const ERRNO = {
  EAGAIN: koffi.os.errno['EAGAIN'] ?? 11,
  EWOULDBLOCK: koffi.os.errno['EWOULDBLOCK'] ?? 11,
  ENOBUFS: koffi.os.errno['ENOBUFS'] ?? 105,
  ENAMETOOLONG: koffi.os.errno['ENAMETOOLONG'] ?? 36,
} as const;

// The process's own symbols (dlopen(NULL)): libc, whichever one Node was linked with (glibc, musl).
const libc = koffi.load(null);
const socket = libc.func('int socket(int domain, int type, int protocol)');
const sendto = libc.func('long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)');
const bind = libc.func('int bind(int fd, const void *addr, uint32_t addrlen)');
const recv = libc.func('long recv(int fd, void *buf, size_t len, int flags)');
const close = libc.func('int close(int fd)');
const strerror = libc.func('const char *strerror(int errnum)');

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
  return (strerror(errno) as string | null) ?? `errno ${errno}`;
}

export class UnixDgramSocket {
  #fd: number;

  /** Opens a non-blocking unix datagram socket; throws when the system refuses one (out of fds). */
  constructor() {
    const fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) as number;
    if (fd < 0) throw new Error(`unix datagram socket: ${errorText(koffi.errno())}`);
    this.#fd = fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Sends `message` as one datagram to the socket at `address` (socketAddress). 0, or the errno (EAGAIN: the receiver's queue is full). */
  sendTo(message: Buffer, address: Buffer): number {
    if (this.#fd < 0) return koffi.os.errno['EBADF'] ?? 9;
    const sent = sendto(this.#fd, message, message.length, MSG_DONTWAIT, address, address.length) as number;
    return sent < 0 ? koffi.errno() : 0;
  }

  /** Binds the socket to `path` (a receiver). 0, or the errno. */
  bind(path: string): number {
    const address = socketAddress(path);
    if (address === null) return ERRNO.ENAMETOOLONG;
    return (bind(this.#fd, address, address.length) as number) < 0 ? koffi.errno() : 0;
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
    const n = recv(this.#fd, buffer, buffer.length, MSG_DONTWAIT) as number;
    return n < 0 ? -1 : n;
  }

  close(): void {
    if (this.#fd < 0) return;
    close(this.#fd);
    this.#fd = -1;
  }
}
