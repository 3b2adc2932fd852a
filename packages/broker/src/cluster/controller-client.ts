/**
 * ForwardingControllerClient: the `ControllerClient` every broker of a cluster has. Admin
 * requests run on this broker's own controller (the @samsa/coordinator `Controller` driver)
 * while it is the active one; otherwise they are forwarded over the Kafka protocol to the
 * broker the view names as controller, whose handlers run them on its controller.
 *
 * Invariants and bounds:
 * - The local-or-forward choice is made synchronously when an operation is called (no
 *   await before it): a handler that checked `isController` just before calling gets the
 *   same answer, which is how a forwarded request is never forwarded again (no chains;
 *   the handlers answer a forwarded request NOT_CONTROLLER when this broker is not the
 *   controller, see FORWARD_CLIENT_ID_PREFIX).
 * - Every operation resolves, never rejects, with exactly one reply: REQUEST_TIMED_OUT
 *   after `requestTimeoutMs` (local or forwarded alike; a late answer is dropped), at once
 *   when `inFlightMax` operations are already outstanding (nothing is sent), and
 *   NOT_CONTROLLER when no controller is known, the connection cannot be opened or fails,
 *   or the client is closed.
 * - One connection at a time (controller-client-connection.ts), to the controller of the
 *   latest view: opened on demand, replaced when the controller moves, re-opened on the
 *   next request after a failure, closed by `close()`.
 */
import type { Controller, ControllerReply } from '@samsa/coordinator';
import type { Clock, TimerHandle, Transport } from '@samsa/runtime';
import type { AlterConfigsRequest, AlterPartitionRequest, CreatePartitionsRequest, CreateTopicRequest, ElectLeadersRequest, ListReassignmentsRequest, ReassignPartitionsRequest } from '@samsa/coordinator';
import { RateLimitedLog, type Logger } from '../observability/logger.ts';
import type { ClusterView } from './cluster-view.ts';
import type { ControllerClient } from './cluster-link.ts';
import { ForwardConnection } from './controller-client-connection.ts';
import {
  alterConfigsMessage,
  alterPartitionMessage,
  controlledShutdownMessage,
  electLeadersMessage,
  listReassignmentsMessage,
  reassignPartitionsMessage,
  createPartitionsMessage,
  createTopicMessage,
  deleteTopicMessage,
  failure,
  type ForwardMessage,
} from './controller-client-messages.ts';

/** Requests a broker forwards to the controller carry clientId `samsa-forward-<nodeId>`. */
export const FORWARD_CLIENT_ID_PREFIX = 'samsa-forward-';
export const REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
export const IN_FLIGHT_MAX_DEFAULT = 64;

/** True when the request came from another broker's ControllerClient. */
export function isForwardedRequest(clientId: string | null): boolean {
  return clientId !== null && clientId.startsWith(FORWARD_CLIENT_ID_PREFIX);
}

export type LocalController = Pick<
  Controller,
  'createTopic' | 'createPartitions' | 'deleteTopic' | 'alterConfigs' | 'controlledShutdown' | 'alterPartition' | 'electLeaders' | 'reassignPartitions' | 'listReassignments'
>;

export interface ForwardingControllerClientOptions {
  /** True while this broker is the active controller (read synchronously per operation). */
  isController(): boolean;
  readonly localController: LocalController;
  /** The current cluster view: where the controller is. */
  view(): ClusterView;
  readonly nodeId: number;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Default 64. */
  readonly inFlightMax?: number;
  /**
   * `controller.endpoint.overrides`: controller broker id → the address to dial instead of
   * its registered client endpoint (a fault proxy in the chaos suite). Default: none.
   */
  readonly endpointOverrides?: ReadonlyMap<number, { readonly host: string; readonly port: number }>;
}

export class ForwardingControllerClient implements ControllerClient {
  readonly #o: ForwardingControllerClientOptions;
  readonly #timeoutMs: number;
  readonly #inFlightMax: number;
  readonly #clientId: string;
  #inFlight = 0;
  #connection: ForwardConnection | null = null;
  #connecting: { readonly target: string; readonly promise: Promise<ForwardConnection | null> } | null = null;
  #closed = false;
  /** Connection failures are logged at most once a second (every request may hit one). */
  readonly #rateLimited = new RateLimitedLog(1000);

  constructor(options: ForwardingControllerClientOptions) {
    const timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT;
    const inFlightMax = options.inFlightMax ?? IN_FLIGHT_MAX_DEFAULT;
    if (!(timeoutMs > 0)) throw new RangeError(`requestTimeoutMs must be > 0, got ${timeoutMs}`);
    if (!Number.isInteger(inFlightMax) || inFlightMax < 1) throw new RangeError(`inFlightMax must be an integer ≥ 1, got ${inFlightMax}`);
    this.#o = options;
    this.#timeoutMs = timeoutMs;
    this.#inFlightMax = inFlightMax;
    this.#clientId = `${FORWARD_CLIENT_ID_PREFIX}${options.nodeId}`;
  }

  /** Operations outstanding now (local or forwarded). */
  get inFlight(): number {
    return this.#inFlight;
  }

  createTopic(req: CreateTopicRequest): Promise<ControllerReply> {
    return this.#run(() => this.#o.localController.createTopic(req), (timeoutMs) => createTopicMessage(req, timeoutMs));
  }
  createPartitions(req: CreatePartitionsRequest): Promise<ControllerReply> {
    return this.#run(() => this.#o.localController.createPartitions(req), (timeoutMs) => createPartitionsMessage(req, timeoutMs));
  }
  deleteTopic(name: string): Promise<ControllerReply> {
    return this.#run(() => this.#o.localController.deleteTopic(name), (timeoutMs) => deleteTopicMessage(name, timeoutMs));
  }
  alterConfigs(req: AlterConfigsRequest): Promise<ControllerReply> {
    return this.#run(() => this.#o.localController.alterConfigs(req), () => alterConfigsMessage(req));
  }
  controlledShutdown(brokerId: number): Promise<ControllerReply> {
    return this.#run(() => this.#o.localController.controlledShutdown(brokerId), () => controlledShutdownMessage(brokerId));
  }
  alterPartition(req: AlterPartitionRequest): Promise<ControllerReply> {
    return this.#run(() => this.#o.localController.alterPartition(req), () => alterPartitionMessage(req));
  }
  electLeaders(req: ElectLeadersRequest): Promise<ControllerReply> {
    return this.#run(() => this.#o.localController.electLeaders(req), (timeoutMs) => electLeadersMessage(req, timeoutMs));
  }
  reassignPartitions(req: ReassignPartitionsRequest): Promise<ControllerReply> {
    return this.#run(() => this.#o.localController.reassignPartitions(req), (timeoutMs) => reassignPartitionsMessage(req, timeoutMs));
  }
  listReassignments(req: ListReassignmentsRequest): Promise<ControllerReply> {
    return this.#run(() => this.#o.localController.listReassignments(req), (timeoutMs) => listReassignmentsMessage(req, timeoutMs));
  }

  /** Closes the connection (its pending requests get NOT_CONTROLLER); later operations get NOT_CONTROLLER. */
  close(): void {
    this.#closed = true;
    this.#connection?.close();
    this.#connection = null;
  }

  #run(local: () => Promise<ControllerReply>, forward: (timeoutMs: number) => ForwardMessage): Promise<ControllerReply> {
    if (this.#closed) return Promise.resolve(failure('NOT_CONTROLLER', 'the controller client is closed'));
    if (this.#inFlight >= this.#inFlightMax) return Promise.resolve(failure('REQUEST_TIMED_OUT', `more than ${this.#inFlightMax} controller requests in flight on broker ${this.#o.nodeId}`));
    this.#inFlight++;
    let cancel = (): void => undefined;
    const work = this.#o.isController() ? this.#runLocally(local) : this.#forward(forward, (c) => (cancel = c));
    let timer!: TimerHandle;
    const timedOut = new Promise<ControllerReply>((resolve) => {
      timer = this.#o.clock.setTimeout(() => {
        cancel();
        resolve(failure('REQUEST_TIMED_OUT', `no answer from the controller within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
    });
    return Promise.race([work, timedOut]).finally(() => {
      timer.cancel();
      this.#inFlight--;
    });
  }

  async #runLocally(local: () => Promise<ControllerReply>): Promise<ControllerReply> {
    try {
      return await local();
    } catch (error) {
      // The driver rejects only on a bug of its own (controller.ts): report it, answer retriably.
      this.#o.logger.error({ err: error }, 'the local controller failed a request');
      return failure('REQUEST_TIMED_OUT', `the controller failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async #forward(build: (timeoutMs: number) => ForwardMessage, onCancel: (cancel: () => void) => void): Promise<ControllerReply> {
    const view = this.#o.view();
    const controllerId = view.controllerId;
    if (controllerId < 0 || controllerId === this.#o.nodeId) return failure('NOT_CONTROLLER', 'no controller is known');
    const broker = view.brokers.get(controllerId);
    if (!broker) return failure('NOT_CONTROLLER', `controller ${controllerId} is not a registered broker`);
    let cancelled = false;
    onCancel(() => (cancelled = true));
    const address = this.#o.endpointOverrides?.get(controllerId) ?? broker;
    const connection = await this.#connectionTo(address.host, address.port);
    if (!connection) return failure('NOT_CONTROLLER', `cannot connect to controller ${controllerId} at ${address.host}:${address.port}`);
    if (cancelled) return failure('REQUEST_TIMED_OUT', 'timed out while connecting to the controller');
    // The controller broker answers a forwarded request without waiting for its own view.
    const sent = connection.send(build(this.#timeoutMs));
    onCancel(sent.cancel);
    return sent.reply;
  }

  /** The open connection to `host:port`, opening it (once, shared) when needed; null when it cannot be opened. */
  #connectionTo(host: string, port: number): Promise<ForwardConnection | null> {
    const target = `${host}:${port}`;
    const current = this.#connection;
    if (current && !current.isClosed && current.target === target) return Promise.resolve(current);
    if (this.#connecting && this.#connecting.target === target) return this.#connecting.promise;
    if (current) {
      current.close();
      this.#connection = null;
    }
    const promise = ForwardConnection.open(this.#o.transport, host, port, this.#clientId, this.#inFlightMax).then(
      (connection) => {
        if (this.#connecting?.promise === promise) this.#connecting = null;
        if (this.#closed) {
          connection.close();
          return null;
        }
        this.#connection?.close();
        this.#connection = connection;
        return connection;
      },
      (error: unknown) => {
        if (this.#connecting?.promise === promise) this.#connecting = null;
        this.#rateLimited.maybeLog('connect', this.#o.clock.monotonicMs(), (dropped) => {
          this.#o.logger.warn({ err: error, controller: target, suppressedSinceLast: dropped }, 'cannot connect to the controller broker');
        });
        return null;
      },
    );
    this.#connecting = { target, promise };
    return promise;
  }
}
