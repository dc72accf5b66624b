import * as grpc from "@grpc/grpc-js";
import type { BodySpec } from "../corpus.js";
import { serveCommands } from "../ipc.js";
import { type PreparedExchange, prepareExchange, runExchange } from "./exchange.js";

/**
 * The load generator: a separate process (so its CPU is not the server's) that keeps
 * `concurrency` exchanges in flight against one server over one grpc-js channel, as Envoy
 * multiplexes streams on a connection. Commands: prepare, start, mark, collect, stop, exit.
 */

/** LoadSpec is one scenario against one server. */
export interface LoadSpec {
  readonly port: number;
  readonly body: BodySpec;
  readonly concurrency: number;
  /** expectModel: check the X-Gateway-Model-Name answer (BBR only). */
  readonly expectModel: boolean;
  /** expectDestinations: check that x-gateway-destination-endpoint names one of these (EPP only). */
  readonly expectDestinations?: readonly string[];
}

/** LoadStats is what the generator saw between mark and collect. */
export interface LoadStats {
  readonly exchanges: number;
  readonly errors: number;
  readonly wrong: number;
  readonly firstProblem: string | undefined;
  readonly windowMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly clientCpuUs: number;
}

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

class LoadGenerator {
  private spec: LoadSpec | undefined;
  private prepared: PreparedExchange | undefined;
  private client: grpc.Client | undefined;
  private running = false;
  private abort = new AbortController();
  private workers: Promise<void>[] = [];
  private latencies: number[] = [];
  private errors = 0;
  private wrong = 0;
  private firstProblem: string | undefined;
  private markedAt = 0;
  private cpuAtMark = process.cpuUsage();

  prepare(spec: LoadSpec): { bodyBytes: number; chunks: number } {
    this.spec = spec;
    this.prepared = prepareExchange(spec.body);
    this.client = new grpc.Client(`127.0.0.1:${spec.port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
      "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    });
    return { bodyBytes: this.prepared.bodyBytes, chunks: this.prepared.chunks };
  }

  start(): void {
    this.running = true;
    this.abort = new AbortController();
    this.mark();
    this.workers = Array.from({ length: this.spec!.concurrency }, () => this.worker());
  }

  private async worker(): Promise<void> {
    const client = this.client!;
    const prepared = this.prepared!;
    const expectModel = this.spec!.expectModel;
    const destinations = this.spec!.expectDestinations && new Set(this.spec!.expectDestinations);
    while (this.running) {
      const outcome = await runExchange(client, prepared, expectModel, this.abort.signal, destinations);
      if (!this.running) break;
      if (!outcome.ok) {
        this.errors++;
        this.firstProblem ??= outcome.error;
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      this.latencies.push(outcome.latencyMs);
      if (outcome.wrong !== undefined) {
        this.wrong++;
        this.firstProblem ??= outcome.wrong;
      }
    }
  }

  mark(): void {
    this.latencies = [];
    this.errors = 0;
    this.wrong = 0;
    this.firstProblem = undefined;
    this.markedAt = performance.now();
    this.cpuAtMark = process.cpuUsage();
  }

  collect(): LoadStats {
    const windowMs = performance.now() - this.markedAt;
    const cpu = process.cpuUsage(this.cpuAtMark);
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (q: number) =>
      sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    const sum = sorted.reduce((a, b) => a + b, 0);
    return {
      exchanges: sorted.length,
      errors: this.errors,
      wrong: this.wrong,
      firstProblem: this.firstProblem,
      windowMs,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      meanMs: sorted.length === 0 ? 0 : sum / sorted.length,
      clientCpuUs: cpu.user + cpu.system,
    };
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await Promise.all(this.workers);
    this.workers = [];
    this.client?.close();
    this.client = undefined;
  }
}

const generator = new LoadGenerator();
serveCommands(
  { pid: process.pid },
  {
    prepare: (args) => generator.prepare(args as LoadSpec),
    start: () => generator.start(),
    mark: () => generator.mark(),
    collect: () => generator.collect(),
    stop: () => generator.stop(),
  },
  () => generator.stop(),
);
