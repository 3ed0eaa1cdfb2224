// HTTP/2 frames written and read by hand, for tests of a client that breaks the rules node:http2
// keeps (opening streams past SETTINGS_MAX_CONCURRENT_STREAMS, resetting streams in a flood).
// Header blocks use HPACK's static table and literals without indexing only, so no dynamic
// table is needed on either side.
import { connect, type Socket } from 'node:net';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const DATA = 0;
export const HEADERS = 1;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const PING = 6;
export const GOAWAY = 7;
export const WINDOW_UPDATE = 8;
export const END_STREAM = 0x1;
export const END_HEADERS = 0x4;
export const ACK = 0x1;
export const CANCEL = 0x8;

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

function literal(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  if (bytes.length > 126) throw new Error('literal too long for this encoder');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** A GET header block: :method GET, :scheme http (static 2, 6), :path and :authority as literals. */
export function getHeaderBlock(path: string, authority: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x82, 0x86]),
    // Literal without indexing, name from the static table: :path is 4, :authority is 1.
    Buffer.from([0x04]), literal(path),
    Buffer.from([0x01]), literal(authority),
  ]);
}

export function rst(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(RST_STREAM, 0, streamId, payload);
}

export interface ReceivedFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A raw HTTP/2 client connection: frames received are parsed into `frames`. */
export class RawH2 {
  readonly socket: Socket;
  readonly frames: ReceivedFrame[] = [];
  closed = false;
  #buffer = Buffer.alloc(0);

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      while (this.#buffer.length >= 9) {
        const length = this.#buffer.readUIntBE(0, 3);
        if (this.#buffer.length < 9 + length) break;
        this.frames.push({ type: this.#buffer[3]!, flags: this.#buffer[4]!, streamId: this.#buffer.readUInt32BE(5) & 0x7fffffff, payload: this.#buffer.subarray(9, 9 + length) });
        this.#buffer = this.#buffer.subarray(9 + length);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => (this.closed = true));
  }

  /** Connects and sends the preface with empty SETTINGS. */
  static async open(port: number): Promise<RawH2> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0)]));
    return new RawH2(socket);
  }

  of(type: number): ReceivedFrame[] {
    return this.frames.filter((f) => f.type === type);
  }

  /** Error codes of the RST_STREAM frames received, by stream. */
  resets(): Map<number, number> {
    const out = new Map<number, number>();
    for (const f of this.of(RST_STREAM)) out.set(f.streamId, f.payload.readUInt32BE(0));
    return out;
  }

  goawayCode(): number | null {
    const goaway = this.of(GOAWAY)[0];
    return goaway === undefined ? null : goaway.payload.readUInt32BE(4);
  }
}
