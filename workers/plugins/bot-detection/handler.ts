// Runs on a worker thread: bot-detection, as Kong 3.x's handler behaves: the User-Agent (trimmed)
// passes when an `allow` regex matches it, is refused 403 when a `deny` regex or one of the
// bundled bot rules does; two User-Agent headers are a 400. No User-Agent passes.
// Regexes are compiled once per config (the bundled rules once per process), and each distinct
// User-Agent's verdict is remembered per config (bounded), as Kong's per-config LRU does.
import { schema, type Config } from '../../../config/plugins/bot-detection.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { definePlugin } from '../define.ts';
import type { PluginInstance } from '../types.ts';
import { BOT_PATTERNS } from './rules.ts';

/**
 * One regex for the bundled rules: an alternation of all of them tries each rule at each position
 * in one pass instead of fourteen scans. Capture groups do not matter for a yes/no answer.
 */
const BOTS = new RegExp(BOT_PATTERNS.map((p) => `(?:${p})`).join('|'));

const PASS = 0;
const REFUSE = 1;
/** Distinct User-Agents remembered per config; beyond, the memo starts over (memory bounded). */
const MEMO_MAX = 10_000;

const FORBIDDEN = Object.freeze({ message: 'Forbidden' });
const TWO_AGENTS = Object.freeze({ message: 'Only one User-Agent header allowed' });

class BotDetection implements PluginInstance {
  // Each user regex alone: joined, a backreference (\1) would point at another pattern's group.
  readonly #allow: RegExp[];
  readonly #deny: RegExp[];
  readonly #memo = new Map<string, number>();

  constructor(config: Config) {
    this.#allow = config.allow.map((p) => new RegExp(p));
    this.#deny = config.deny.map((p) => new RegExp(p));
  }

  /** Verdicts remembered (bounded by MEMO_MAX). */
  get memoSize(): number {
    return this.#memo.size;
  }

  access(ctx: RequestContext): void {
    const agent = ctx.req.headers['user-agent'];
    if (agent === undefined) return;
    // The listener keeps the first of repeated User-Agents (as node:http); Kong refuses them.
    if (ctx.req.headerValues('user-agent').length > 1) return ctx.exit(400, TWO_AGENTS);
    let verdict = this.#memo.get(agent);
    if (verdict === undefined) {
      verdict = this.#examine(agent.trim());
      if (this.#memo.size >= MEMO_MAX) this.#memo.clear();
      this.#memo.set(agent, verdict);
    }
    if (verdict === REFUSE) ctx.exit(403, FORBIDDEN);
  }

  #examine(agent: string): number {
    for (const rule of this.#allow) if (rule.test(agent)) return PASS;
    for (const rule of this.#deny) if (rule.test(agent)) return REFUSE;
    return BOTS.test(agent) ? REFUSE : PASS;
  }
}

export default definePlugin<Config>(schema, BotDetection);
