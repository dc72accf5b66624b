import { Bench, type FnReturnedObject } from "tinybench";
import { MessageBody } from "../../src/bbr/api/message-body.js";
import { BENCH_MODEL, type BodySpec, type ContentKind, chunked, makeBody } from "../corpus.js";

/**
 * Micro-benchmarks of model extraction, on the same bodies the load test sends, chunked the
 * same way (16–64 KiB):
 * - scan:       MessageBody as BBR uses it: append every chunk (each is scanned on arrival),
 *               validate(), field("model"). Total CPU for the body.
 * - last-chunk: the same, but only append(last chunk) + validate() + field("model") is timed:
 *               the latency BBR adds once the body is complete (earlier chunks were scanned
 *               while the rest of the body was still on the wire).
 * - JSON.parse: what the body cost before the scanner: concat, UTF-8 decode, JSON.parse.
 */

const decoder = new TextDecoder();

/** MicroResult is one timed task (milliseconds). */
export interface MicroResult {
  readonly task: "scan" | "last-chunk" | "JSON.parse";
  readonly content: ContentKind;
  readonly size: number;
  readonly bytes: number;
  readonly modelPosition: "first" | "last";
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly samples: number;
}

/** MicroOptions choose the bodies and how long each task runs. */
export interface MicroOptions {
  readonly sizes: readonly number[];
  readonly contents: readonly ContentKind[];
  readonly positions: readonly ("first" | "last")[];
  readonly timeMs: number;
  readonly warmupMs: number;
}

function check(model: unknown): void {
  if (model !== BENCH_MODEL) throw new Error(`extracted ${String(model)}, want ${BENCH_MODEL}`);
}

function scanTask(chunks: readonly Uint8Array[]): () => void {
  return () => {
    const body = new MessageBody("json");
    for (const c of chunks) body.append(c);
    body.validate();
    check(body.field("model"));
  };
}

function lastChunkTask(chunks: readonly Uint8Array[]): () => FnReturnedObject {
  const head = chunks.slice(0, -1);
  const last = chunks[chunks.length - 1]!;
  return () => {
    const started = performance.now();
    const body = new MessageBody("json");
    for (const c of head) body.append(c);
    const lastArrived = performance.now();
    body.append(last);
    body.validate();
    check(body.field("model"));
    const done = performance.now();
    // Only the part after the last chunk counts; the whole call still spends the time budget.
    return { overriddenDuration: done - lastArrived, overriddenIterationCost: done - started };
  };
}

function parseTask(chunks: readonly Uint8Array[]): () => void {
  return () => {
    const joined = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const parsed = JSON.parse(decoder.decode(joined)) as Record<string, unknown>;
    check(parsed["model"]);
  };
}

/** runMicro runs every task on every body and returns the timings. */
export async function runMicro(options: MicroOptions): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  for (const content of options.contents) {
    for (const size of options.sizes) {
      for (const modelPosition of options.positions) {
        const spec: BodySpec = { size, modelPosition, content };
        const body = makeBody(spec);
        const chunks = chunked(body);
        const bench = new Bench({
          time: options.timeMs,
          warmupTime: options.warmupMs,
          iterations: 5,
          warmupIterations: 2,
        });
        bench.add("scan", scanTask(chunks));
        bench.add("last-chunk", lastChunkTask(chunks));
        bench.add("JSON.parse", parseTask(chunks));
        await bench.run();
        for (const task of bench.tasks) {
          const r = task.result;
          if (r.state !== "completed") throw new Error(`micro ${task.name} ${content} ${size}: ${r.state}`);
          results.push({
            task: task.name as MicroResult["task"],
            content,
            size,
            bytes: body.length,
            modelPosition,
            p50Ms: r.latency.p50,
            p99Ms: r.latency.p99,
            meanMs: r.latency.mean,
            samples: r.latency.samplesCount,
          });
        }
      }
    }
  }
  return results;
}
