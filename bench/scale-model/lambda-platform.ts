import type { QueueDefinition } from '../../src/adapters/aws-resources.js';
import type { SqsHandler } from '../../src/entrypoints/lambda/handlers.js';
import { vcpuOf } from '../cpu-model.js';
import { invocationCpu, LIMITS, type SimulatedAws } from './aws-model.js';
import type { VirtualTime } from './virtual-time.js';

interface Message {
  readonly id: number;
  readonly body: string;
  receives: number;
  /** Virtual time at which it last became visible. */
  visibleAt: number;
}

/** Lambda's limit on one invocation's payload (synchronous invocation): an event source's batch stays within it. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** A first-in first-out list with O(1) shift. */
class Deque<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.head++;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/** How fast an SQS event source adds concurrent batches while messages wait. */
export interface PollerScaling {
  readonly atStart: number;
  readonly rampPerMinute: number;
}

/** Standard mode: 5 concurrent batches, 300 more a minute. */
export const STANDARD_POLLERS: PollerScaling = {
  atStart: LIMITS.pollersAtStart,
  rampPerMinute: LIMITS.pollerRampPerMinute,
};

/**
 * One invocation's handler, given the execution environment it runs in (numbered per function from 1): what
 * one environment keeps between invocations (its container, e.g. the bound on its fetches) is that
 * environment's own.
 */
export type EnvironmentHandler = (event: Parameters<SqsHandler>[0], environment: number) => ReturnType<SqsHandler>;

/** One queue, its event source mapping and the function behind it, as `QUEUES` defines them. */
export interface FunctionSpec {
  readonly key: string;
  readonly queue: QueueDefinition;
  readonly handler: EnvironmentHandler;
}

interface FunctionState {
  readonly spec: FunctionSpec;
  readonly visible: Deque<Message>;
  /** When messages first waited here: the poller ramp counts from then. */
  rampStart?: number;
  running: number;
  /** Warm environments waiting for an invocation, by number. */
  idleEnvironments: number[];
  environments: number;
  /** Environments still allowed to start in the current 10 s window. */
  scaleTokens: number;
  scaleWindowStart: number;
  peakRunning: number;
  invocations: number;
  coldStarts: number;
  gbSeconds: number;
  /** CPU spent, in seconds of one vCPU, and the invocations that lasted their CPU rather than their I/O. */
  cpuSeconds: number;
  cpuBound: number;
  /** Sum of the start times of the running invocations (for the GB-s they have used so far). */
  beganSum: number;
  sent: number;
  deadLettered: number;
  redelivered: number;
}

export interface FunctionStats {
  readonly key: string;
  readonly invocations: number;
  readonly coldStarts: number;
  readonly peakConcurrency: number;
  readonly gbSeconds: number;
  /** CPU spent, in seconds of one vCPU (`CPU_MS`). */
  readonly cpuSeconds: number;
  /** Invocations that lasted as long as their CPU took, longer than their I/O. */
  readonly cpuBound: number;
  readonly messages: number;
  readonly redelivered: number;
  readonly deadLettered: number;
}

/**
 * SQS queues and their Lambda event sources on the virtual clock, as `QUEUES` deploys them: batches of up to
 * the queue's batch size and 6 MB (filled for up to its batching window), pollers that start at 5 concurrent
 * batches and add about 300 a minute while messages wait, up to the event source's maximum concurrency, each
 * function adding at most 1,000 environments per 10 s, all under one account concurrency. A record the handler
 * reports as failed comes back after the visibility time-out; after `maxReceiveCount` receives it goes to
 * the dead-letter queue.
 */
export class LambdaPlatform {
  private readonly functions = new Map<string, FunctionState>();
  private nextId = 1;
  private running = 0;
  private pumpPending = false;
  private rampTimerPending = false;
  private scaleTimerPending = false;
  /** When the pump is due again for a batch waiting out its batching window (Infinity: not due). */
  private windowTimerAt = Infinity;
  peakRunning = 0;
  /** Virtual time at which the last invocation ended. */
  lastInvocationEnd = 0;
  /** Called after each invocation ends (samplers hook in here). */
  onInvocationEnd?: () => void;

  constructor(
    private readonly time: VirtualTime,
    private readonly aws: SimulatedAws,
    specs: readonly FunctionSpec[],
    private readonly accountConcurrency: number,
    /** The event sources' scaling: standard mode (5 batches, +300 a minute) unless told otherwise. */
    private readonly pollers: PollerScaling = STANDARD_POLLERS,
  ) {
    for (const spec of specs) {
      this.functions.set(spec.queue.name, {
        spec,
        visible: new Deque(),
        running: 0,
        idleEnvironments: [],
        environments: 0,
        scaleTokens: LIMITS.lambdaScaleStep,
        scaleWindowStart: 0,
        peakRunning: 0,
        invocations: 0,
        coldStarts: 0,
        gbSeconds: 0,
        cpuSeconds: 0,
        cpuBound: 0,
        beganSum: 0,
        sent: 0,
        deadLettered: 0,
        redelivered: 0,
      });
    }
  }

  get concurrency(): number {
    return this.running;
  }

  /** Lambda invocations so far, and GB-seconds so far including what running invocations have used. */
  usage(): { invocations: number; gbSeconds: number } {
    let invocations = 0;
    let gbSeconds = 0;
    for (const fn of this.functions.values()) {
      invocations += fn.invocations;
      gbSeconds += fn.gbSeconds + (fn.spec.queue.memoryMb / 1024) * ((fn.running * this.time.now - fn.beganSum) / 1000);
    }
    return { invocations, gbSeconds };
  }

  /** Puts a message on a queue (by queue name), visible now or after `delaySeconds`. */
  send(queueName: string, body: string, delaySeconds = 0): void {
    const fn = this.functions.get(queueName);
    if (!fn) throw new Error(`the scale model has no queue "${queueName}"`);
    fn.sent++;
    const message: Message = { id: this.nextId++, body, receives: 0, visibleAt: 0 };
    if (delaySeconds > 0) this.time.after(delaySeconds * 1000, () => this.makeVisible(fn, message));
    else this.makeVisible(fn, message);
  }

  /** Messages waiting or in flight on every queue. */
  get backlog(): number {
    let n = 0;
    for (const fn of this.functions.values()) n += fn.visible.length + fn.running;
    return n;
  }

  stats(): FunctionStats[] {
    return [...this.functions.values()].map((fn) => ({
      key: fn.spec.key,
      invocations: fn.invocations,
      coldStarts: fn.coldStarts,
      peakConcurrency: fn.peakRunning,
      gbSeconds: fn.gbSeconds,
      cpuSeconds: fn.cpuSeconds,
      cpuBound: fn.cpuBound,
      messages: fn.sent,
      redelivered: fn.redelivered,
      deadLettered: fn.deadLettered,
    }));
  }

  private makeVisible(fn: FunctionState, message: Message): void {
    message.visibleAt = this.time.now;
    fn.visible.push(message);
    fn.rampStart ??= this.time.now;
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpPending) return;
    this.pumpPending = true;
    this.time.after(0, () => {
      this.pumpPending = false;
      this.pump();
    });
  }

  /**
   * The event sources poll: every queue with visible messages gets invocations while the limits allow (the
   * poller ramp, the event source's maximum concurrency, the account's concurrency, the function's scaling).
   * A batch holds up to the batch size and 6 MB; with a batching window, a partial batch waits until the
   * oldest of its messages has waited the window.
   */
  private pump(): void {
    const now = this.time.now;
    let rampBound = false;
    let scaleBound = false;
    let windowEnds = Infinity;
    for (const fn of this.functions.values()) {
      if (now - fn.scaleWindowStart >= LIMITS.lambdaScaleWindowMs) {
        fn.scaleWindowStart = now - ((now - fn.scaleWindowStart) % LIMITS.lambdaScaleWindowMs);
        fn.scaleTokens = LIMITS.lambdaScaleStep;
      }
      const pollers =
        this.pollers.atStart + Math.floor(((now - (fn.rampStart ?? now)) / 60_000) * this.pollers.rampPerMinute);
      const ceiling = Math.min(this.accountConcurrency, fn.spec.queue.maxConcurrency);
      const allowed = Math.min(ceiling, pollers);
      const windowMs = fn.spec.queue.maxBatchingWindowSeconds * 1000;
      while (fn.visible.length > 0 && this.running < this.accountConcurrency) {
        if (fn.running >= allowed) {
          if (allowed < ceiling) rampBound = true;
          break;
        }
        if (fn.visible.length < fn.spec.queue.batchSize && now < fn.visible.peek()!.visibleAt + windowMs) {
          windowEnds = Math.min(windowEnds, fn.visible.peek()!.visibleAt + windowMs);
          break;
        }
        let environment: number;
        let cold = false;
        if (fn.idleEnvironments.length > 0) environment = fn.idleEnvironments.pop()!;
        else if (fn.scaleTokens > 0) {
          fn.scaleTokens--;
          environment = ++fn.environments;
          cold = true;
        } else {
          scaleBound = true;
          break;
        }
        const batch: Message[] = [];
        let bytes = 0;
        while (batch.length < fn.spec.queue.batchSize && fn.visible.length > 0) {
          const size = fn.visible.peek()!.body.length;
          if (batch.length > 0 && bytes + size > MAX_PAYLOAD_BYTES) break;
          bytes += size;
          batch.push(fn.visible.shift()!);
        }
        this.aws.countSqs('ReceiveMessage');
        this.invoke(fn, batch, environment, cold);
      }
    }
    if (windowEnds < this.windowTimerAt) {
      this.windowTimerAt = windowEnds;
      this.time.after(windowEnds - now, () => {
        this.windowTimerAt = Infinity;
        this.pump();
      });
    }
    if (rampBound && !this.rampTimerPending) {
      this.rampTimerPending = true;
      this.time.after(60_000 / this.pollers.rampPerMinute, () => {
        this.rampTimerPending = false;
        this.pump();
      });
    }
    if (scaleBound && !this.scaleTimerPending) {
      this.scaleTimerPending = true;
      this.time.after(LIMITS.lambdaScaleWindowMs / 10, () => {
        this.scaleTimerPending = false;
        this.pump();
      });
    }
  }

  private invoke(fn: FunctionState, batch: Message[], environment: number, cold: boolean): void {
    fn.running++;
    this.running++;
    fn.peakRunning = Math.max(fn.peakRunning, fn.running);
    this.peakRunning = Math.max(this.peakRunning, this.running);
    fn.invocations++;
    if (cold) fn.coldStarts++;
    const startup = LIMITS.invokeOverheadMs + (cold ? LIMITS.coldStartMs : 0);
    const began = this.time.now;
    fn.beganSum += began;
    this.time.after(startup, () => {
      for (const message of batch) message.receives++;
      const records = batch.map((message) => ({
        messageId: String(message.id),
        body: message.body,
        attributes: { ApproximateReceiveCount: String(message.receives) },
      }));
      const cpu = { ms: 0 };
      const handlerBegan = this.time.now;
      invocationCpu
        .run(cpu, () => fn.spec.handler({ Records: records }, environment))
        .then(
          (response) => new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier)),
          () => new Set(records.map((record) => record.messageId)),
        )
        .then((failed) => {
          // The handler took as long as its awaited I/O, and at least its CPU at the function's share of a vCPU.
          const busyMs = cpu.ms / vcpuOf(fn.spec.queue.memoryMb);
          const waitedMs = this.time.now - handlerBegan;
          fn.cpuSeconds += cpu.ms / 1000;
          if (busyMs <= waitedMs) this.finish(fn, batch, failed, began, environment);
          else {
            fn.cpuBound++;
            this.time.after(busyMs - waitedMs, () => this.finish(fn, batch, failed, began, environment));
          }
        });
    });
  }

  private finish(fn: FunctionState, batch: Message[], failed: Set<string>, began: number, environment: number): void {
    const now = this.time.now;
    // Billed: the handler and, on a cold start, the init phase.
    const billedMs = Math.max(1, now - began - LIMITS.invokeOverheadMs);
    fn.gbSeconds += (fn.spec.queue.memoryMb / 1024) * (billedMs / 1000);
    fn.beganSum -= began;
    fn.running--;
    this.running--;
    fn.idleEnvironments.push(environment);
    this.lastInvocationEnd = now;
    if (failed.size < batch.length) this.aws.countSqs('DeleteMessageBatch');
    for (const message of batch) {
      if (!failed.has(String(message.id))) continue;
      if (message.receives >= fn.spec.queue.maxReceiveCount) {
        fn.deadLettered++;
        continue;
      }
      fn.redelivered++;
      this.time.after(fn.spec.queue.visibilityTimeoutSeconds * 1000, () => this.makeVisible(fn, message));
    }
    this.onInvocationEnd?.();
    this.schedulePump();
  }
}
