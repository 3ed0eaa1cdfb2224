// What one request's trip to its upstream holds, whatever carries it (worker thread): the request,
// the config it was routed under, its service and plugins, the target state, every try's target,
// balancer pick and timing. The HTTP/1.1 exchange (forward.ts) and the gRPC exchange
// (grpc/exchange.ts) extend it with their own transport.
import type { Service } from '../../config/types.ts';
import type { Balancer } from '../balancer/balancers.ts';
import { PickState, type Peer } from '../balancer/peer.ts';
import type { PluginRunner } from '../plugins/route-plugins.ts';
import type { WorkerState } from '../state.ts';
import type { RequestContext } from './context.ts';
import type { Target, Targets } from './targets.ts';

export interface ListenerInfo {
  /** The proxy port as clients see it (X-Forwarded-Port). */
  port: string;
  proto: string;
}

export class UpstreamTrip {
  readonly ctx: RequestContext;
  readonly state: WorkerState;
  readonly service: Service;
  readonly runner: PluginRunner | null;
  readonly targets: Targets;
  readonly listener: ListenerInfo;
  tries = 0;
  target: Target | null = null;
  /** The upstream's balancer and the peer of the current try (null for a plain service). */
  balancer: Balancer | null = null;
  peer: Peer | null = null;
  /** Consistent-hashing point and peers tried, kept across tries. */
  readonly picks = new PickState();
  sentAt = 0;
  /** ms from sending this try to its response head, or -1 before it. */
  tryMs = -1;
  /** Set once the client's response ended or was cut: later upstream events are ignored. */
  done = false;
  /** The client cannot take more: the upstream is paused until it drains. */
  paused = false;
  /** Wheel timer of read_timeout, or 0. */
  readTimer = 0;

  constructor(ctx: RequestContext, state: WorkerState, service: Service, runner: PluginRunner | null, targets: Targets, listener: ListenerInfo) {
    this.ctx = ctx;
    this.state = state;
    this.service = service;
    this.runner = runner;
    this.targets = targets;
    this.listener = listener;
  }
}
