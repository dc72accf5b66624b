import { z } from "zod";
import { flagSchema, flagSpecs, HELP_FLAG, optionsAtDefaults, readFlags, valueFlag } from "../../common/flag-table.js";
import type { FlagSpec, ParsedFlags } from "../../common/flags.js";
import { LOG_LEVELS, type LogLevel } from "../../common/logger.js";
import { ok, type Result } from "../../common/result.js";
import { DEFAULT_MAX_BODY_BYTES, portFlag } from "../../runtime/server-flags.js";
import type { EngineParams } from "./engine.js";

/** SimOptions configure one `sim` process (one or more replicas of one model server). */
export interface SimOptions {
  readonly model: string;
  readonly loraModules: readonly string[];
  /** Instance name (reported in x-inference-pod); replicas get "-<i>" appended. */
  readonly name: string | undefined;
  readonly bindAddress: string;
  /** First port; replica i listens on port+i (0: every replica picks a free port). */
  readonly port: number;
  readonly replicas: number;
  readonly engine: EngineParams;
  readonly maxModelLen: number;
  readonly defaultMaxTokens: number;
  readonly maxBodyBytes: number;
  readonly logLevel: LogLevel;
}

const int = (min: number) => z.coerce.number().int().min(min);
const nonNegative = z.coerce.number().min(0);
const adapterNames = z.string().transform((s) => [
  ...new Set(
    s
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x !== ""),
  ),
]);
const blockSize = z.coerce
  .number()
  .pipe(z.union([z.literal(8), z.literal(16), z.literal(32), z.literal(64), z.literal(128)]));

/** SIM_FLAG_TABLE declares the `sim` flags that take a value; vLLM's names where vLLM has one. */
const SIM_FLAG_TABLE = {
  model: valueFlag("base model name served", z.string().trim().min(1), "llama-3-8b"),
  "lora-modules": valueFlag("LoRA adapter names served, comma-separated", adapterNames, "", "none"),
  name: valueFlag(
    "instance name for x-inference-pod",
    z.string().trim().min(1).optional(),
    undefined,
    "<model>-<port>",
  ),
  "bind-address": valueFlag("address to listen on", z.string().min(1), "127.0.0.1"),
  port: valueFlag("HTTP port of the first replica (0 picks free ports)", portFlag, "8000"),
  replicas: valueFlag("independent instances in this process, on port, port+1, ...", int(1).max(64), "1"),
  "max-num-seqs": valueFlag("most sequences running at once; more wait", int(1), "5"),
  "max-loras": valueFlag("most LoRA adapters with running sequences at once", int(1), "1"),
  "kv-blocks": valueFlag("KV cache capacity in blocks (num_gpu_blocks)", int(1), "1024"),
  "block-size": valueFlag("tokens per KV block", blockSize, "16"),
  "max-model-len": valueFlag("largest prompt + output in tokens; more is answered 400", int(1), "8192"),
  "prefill-overhead-ms": valueFlag("fixed prefill cost per request (simulated ms)", nonNegative, "20"),
  "prefill-ms-per-token": valueFlag("prefill cost per uncached prompt token (simulated ms)", nonNegative, "0.25"),
  "inter-token-ms": valueFlag("time between output tokens at batch size 1 (simulated ms)", nonNegative, "12"),
  "load-factor": valueFlag(
    "latency multiplier at max-num-seqs running (1 at one)",
    z.coerce.number().min(1, "must be at least 1"),
    "2",
  ),
  "default-max-tokens": valueFlag("output tokens when the request sets no max_tokens", int(1), "32"),
  "time-scale": valueFlag("real ms per simulated ms (0.01 = 100x faster, 0 = instant)", nonNegative, "1"),
  "max-body-bytes": valueFlag("largest request body; more is answered 413", int(1), String(DEFAULT_MAX_BODY_BYTES)),
  "log-level": valueFlag(`log level (${LOG_LEVELS.join(", ")})`, z.enum(LOG_LEVELS), "info"),
};

/** SIM_FLAGS are the `sim` command-line flags. */
export const SIM_FLAGS: readonly FlagSpec[] = [...flagSpecs(SIM_FLAG_TABLE), HELP_FLAG];

const schema = flagSchema(SIM_FLAG_TABLE).superRefine((o, ctx) => {
  if (o.port !== 0 && o.port + o.replicas - 1 > 65535) {
    ctx.addIssue({ code: "custom", path: ["replicas"], message: "port + replicas - 1 exceeds 65535" });
  }
  if (o["lora-modules"].includes(o.model)) {
    ctx.addIssue({ code: "custom", path: ["lora-modules"], message: "an adapter cannot have the base model's name" });
  }
});

/** defaultSimOptions are the options with every flag at its default, plus overrides. */
export function defaultSimOptions(overrides: Partial<SimOptions> = {}): SimOptions {
  return { ...optionsAtDefaults(simOptionsFromFlags), ...overrides };
}

/** simOptionsFromFlags validates parsed flags. */
export function simOptionsFromFlags(flags: ParsedFlags): Result<SimOptions, string[]> {
  const read = readFlags(schema, flags);
  if (!read.ok) return read;
  const o = read.value;
  return ok({
    model: o.model,
    loraModules: o["lora-modules"],
    name: o.name,
    bindAddress: o["bind-address"],
    port: o.port,
    replicas: o.replicas,
    engine: {
      maxNumSeqs: o["max-num-seqs"],
      maxLoras: o["max-loras"],
      kvBlocks: o["kv-blocks"],
      blockSize: o["block-size"],
      prefillOverheadMs: o["prefill-overhead-ms"],
      prefillMsPerToken: o["prefill-ms-per-token"],
      interTokenMs: o["inter-token-ms"],
      loadFactorAtMax: o["load-factor"],
      timeScale: o["time-scale"],
    },
    maxModelLen: o["max-model-len"],
    defaultMaxTokens: o["default-max-tokens"],
    maxBodyBytes: o["max-body-bytes"],
    logLevel: o["log-level"],
  });
}
