import { type KvAllocation, KvCache } from "./kv-cache.js";
import { interTokenMs, type LatencyParams, prefillMs } from "./latency.js";

/** EngineParams configure one simulated model server instance. */
export interface EngineParams extends LatencyParams {
  /** Tokens per KV block (vLLM's block_size). */
  readonly blockSize: number;
  /** KV cache capacity in blocks (vLLM's num_gpu_blocks). */
  readonly kvBlocks: number;
  /** Most LoRA adapters that may have running sequences at once (vLLM's max_loras). */
  readonly maxLoras: number;
  /** Real milliseconds per simulated millisecond: 1 is real time, 0.01 is 100x faster, 0 is instant. */
  readonly timeScale: number;
}

/** SequenceSpec is one admitted-to-be generation request. */
export interface SequenceSpec {
  /** LoRA adapter name, or undefined for the base model. */
  readonly adapter: string | undefined;
  readonly promptTokens: number;
  /** Chained hashes of the full prompt blocks (see promptBlockHashes). */
  readonly blockHashes: readonly string[];
  readonly outputTokens: number;
}

/** SequenceEvents are how a sequence reports progress; all are called at most once but onToken. */
export interface SequenceEvents {
  /** onStart: the sequence left the queue; `cachedTokens` of the prompt skip prefill. */
  onStart?(cachedTokens: number): void;
  /** onToken: output token `index` (0-based) was produced. */
  onToken(index: number): void;
  /** onDone: the last token was produced. */
  onDone(result: { cachedTokens: number; queuedMs: number; firstTokenMs: number }): void;
}

/** SequenceHandle lets the caller abort (client went away): the slot and blocks are freed. */
export interface SequenceHandle {
  cancel(): void;
}

/** EngineSnapshot is what /metrics reports. */
export interface EngineSnapshot {
  readonly running: number;
  readonly waiting: number;
  readonly kvUsage: number;
  readonly runningAdapters: readonly string[];
  readonly waitingAdapters: readonly string[];
}

interface Sequence {
  readonly spec: SequenceSpec;
  readonly events: SequenceEvents;
  readonly enqueuedAt: number;
  state: "waiting" | "running" | "done";
  allocation?: KvAllocation;
  timer?: NodeJS.Timeout | NodeJS.Immediate;
  produced: number;
  startedAt: number;
  firstTokenAt: number;
}

/**
 * SimEngine is a continuous-batching scheduler like vLLM's: at most maxNumSeqs sequences run,
 * the rest wait in FIFO order. A waiting sequence is admitted when a slot is free, its LoRA
 * adapter is loaded or a LoRA slot is free, and its KV blocks (prompt + output) fit. The first
 * request that does not fit for KV blocks stops admission (no overtaking), as in vLLM; one that
 * waits only for a LoRA slot is skipped so other adapters can run.
 */
export class SimEngine {
  readonly kv: KvCache;
  private readonly waiting: Sequence[] = [];
  private readonly running = new Set<Sequence>();
  private readonly adapterRefs = new Map<string, number>();
  private closed = false;
  /** Totals for counters. */
  readonly totals = { prefixQueriedTokens: 0, prefixHitTokens: 0 };

  constructor(readonly params: EngineParams) {
    this.kv = new KvCache(params.kvBlocks);
  }

  /** blocksFor is how many KV blocks a sequence needs in all. */
  blocksFor(promptTokens: number, outputTokens: number): number {
    return Math.ceil((promptTokens + outputTokens) / this.params.blockSize);
  }

  /** submit queues a sequence. The caller must have checked blocksFor(...) <= kvBlocks. */
  submit(spec: SequenceSpec, events: SequenceEvents): SequenceHandle {
    const seq: Sequence = {
      spec,
      events,
      enqueuedAt: performance.now(),
      state: "waiting",
      produced: 0,
      startedAt: 0,
      firstTokenAt: 0,
    };
    this.waiting.push(seq);
    this.admit();
    return { cancel: () => this.finish(seq) };
  }

  snapshot(): EngineSnapshot {
    const runningAdapters = [...this.adapterRefs.keys()].sort();
    const waitingAdapters = [...new Set(this.waiting.map((s) => s.spec.adapter).filter((a) => a !== undefined))].sort();
    return {
      running: this.running.size,
      waiting: this.waiting.length,
      kvUsage: this.kv.usage,
      runningAdapters,
      waitingAdapters,
    };
  }

  /** close cancels everything (process shutdown). */
  close(): void {
    this.closed = true;
    for (const s of [...this.waiting, ...this.running]) this.finish(s);
  }

  private admit(): void {
    if (this.closed) return;
    for (let i = 0; i < this.waiting.length && this.running.size < this.params.maxNumSeqs; ) {
      const seq = this.waiting[i]!;
      const adapter = seq.spec.adapter;
      if (adapter !== undefined && !this.adapterRefs.has(adapter) && this.adapterRefs.size >= this.params.maxLoras) {
        i++;
        continue;
      }
      const shared = seq.spec.blockHashes.length;
      const total = this.blocksFor(seq.spec.promptTokens, seq.spec.outputTokens);
      const allocation = this.kv.allocate(seq.spec.blockHashes, Math.max(0, total - shared));
      if (!allocation) return;
      this.waiting.splice(i, 1);
      this.start(seq, allocation);
    }
  }

  private start(seq: Sequence, allocation: KvAllocation): void {
    seq.state = "running";
    seq.allocation = allocation;
    seq.startedAt = performance.now();
    this.running.add(seq);
    const adapter = seq.spec.adapter;
    if (adapter !== undefined) this.adapterRefs.set(adapter, (this.adapterRefs.get(adapter) ?? 0) + 1);
    const cachedTokens = Math.min(allocation.cachedBlocks * this.params.blockSize, seq.spec.promptTokens);
    this.totals.prefixQueriedTokens += seq.spec.promptTokens;
    this.totals.prefixHitTokens += cachedTokens;
    seq.events.onStart?.(cachedTokens);
    const delay = prefillMs(seq.spec.promptTokens - cachedTokens, this.running.size, this.params);
    this.schedule(seq, delay, () => this.produce(seq, cachedTokens));
  }

  private produce(seq: Sequence, cachedTokens: number): void {
    if (seq.state !== "running") return;
    if (seq.produced === 0) seq.firstTokenAt = performance.now();
    seq.events.onToken(seq.produced++);
    if (seq.produced >= seq.spec.outputTokens) {
      const scale = this.params.timeScale > 0 ? this.params.timeScale : 1;
      seq.events.onDone({
        cachedTokens,
        queuedMs: (seq.startedAt - seq.enqueuedAt) / scale,
        firstTokenMs: (seq.firstTokenAt - seq.enqueuedAt) / scale,
      });
      this.finish(seq);
      return;
    }
    this.schedule(seq, interTokenMs(this.running.size, this.params), () => this.produce(seq, cachedTokens));
  }

  private schedule(seq: Sequence, simulatedMs: number, run: () => void): void {
    const real = simulatedMs * this.params.timeScale;
    seq.timer = real <= 0 ? setImmediate(run) : setTimeout(run, real);
  }

  private finish(seq: Sequence): void {
    if (seq.state === "done") return;
    const wasRunning = seq.state === "running";
    seq.state = "done";
    if (seq.timer) {
      clearTimeout(seq.timer as NodeJS.Timeout);
      clearImmediate(seq.timer as NodeJS.Immediate);
    }
    if (!wasRunning) {
      const i = this.waiting.indexOf(seq);
      if (i >= 0) this.waiting.splice(i, 1);
      this.admit(); // the head of the queue may have been blocking others
      return;
    }
    this.running.delete(seq);
    if (seq.allocation) this.kv.release(seq.allocation);
    const adapter = seq.spec.adapter;
    if (adapter !== undefined) {
      const n = (this.adapterRefs.get(adapter) ?? 1) - 1;
      if (n <= 0) this.adapterRefs.delete(adapter);
      else this.adapterRefs.set(adapter, n);
    }
    this.admit();
  }
}
