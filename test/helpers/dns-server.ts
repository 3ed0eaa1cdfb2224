// A real DNS server on 127.0.0.1 (dns2, UDP) for tests: answers A and SRV records from a table the
// test edits, counts the questions it gets, and can be told to fail (SERVFAIL) or to answer late.
import DNS from 'dns2';

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface TestDnsServer {
  port: number;
  /** name → A addresses. */
  a: Map<string, string[]>;
  srv: Map<string, SrvRecord[]>;
  ttl: number;
  failing: boolean;
  /** ms before each answer. */
  delayMs: number;
  /** Questions asked, as `TYPE name`. */
  questions: string[];
  close(): Promise<void>;
}

export async function startDnsServer(): Promise<TestDnsServer> {
  const { Packet } = DNS;
  const state = { a: new Map<string, string[]>(), srv: new Map<string, SrvRecord[]>(), ttl: 1, failing: false, delayMs: 0, questions: [] as string[] };
  const server = DNS.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const question = request.questions[0];
      if (question === undefined) {
        void send(response);
        return;
      }
      const type = question.type === Packet.TYPE.SRV ? 'SRV' : question.type === Packet.TYPE.A ? 'A' : String(question.type);
      state.questions.push(`${type} ${question.name}`);
      const answer = (): void => {
        if (state.failing) {
          response.header.rcode = 2; // SERVFAIL
          void send(response);
          return;
        }
        if (type === 'A') {
          for (const address of state.a.get(question.name) ?? []) response.answers.push({ name: question.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: state.ttl, address } as unknown as (typeof response.answers)[number]);
        } else if (type === 'SRV') {
          for (const r of state.srv.get(question.name) ?? []) response.answers.push({ name: question.name, type: Packet.TYPE.SRV, class: Packet.CLASS.IN, ttl: state.ttl, ...r } as unknown as (typeof response.answers)[number]);
        }
        void send(response);
      };
      if (state.delayMs > 0) setTimeout(answer, state.delayMs);
      else answer();
    },
  });
  await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  const port = (server.addresses().udp as { port: number }).port;
  const handle: TestDnsServer = Object.assign(state, {
    port,
    close: async () => {
      await server.close();
    },
  });
  return handle;
}
