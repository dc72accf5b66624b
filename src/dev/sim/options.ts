import { z } from "zod";
import { flagSpecs, HELP_FLAG, optionsAtDefaults, readFlags, typedFlag, valueFlag } from "../../common/flag-table.js";
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
  model: typedFlag(z.string().trim().min(1), "base model name served", "llama-3-8b"),
  "lora-modules": typedFlag(adapterNames, "LoRA adapter names served, comma-separated", "", "none"),
  name: valueFlag(z.string().trim().min(1).optional(), "instance name for x-inference-pod", "<model>-<port>"),
  "bind-address": typedFlag(z.string().min(1), "address to listen on", "127.0.0.1"),
  port: typedFlag(portFlag, "HTTP port of the first replica (0 picks free ports)", "8000"),
  replicas: typedFlag(int(1).max(64), "independent instances in this process, on port, port+1, ...", "1"),
  "max-num-seqs": typedFlag(int(1), "most sequences running at once; more wait", "5"),
  "max-loras": typedFlag(int(1), "most LoRA adapters with running sequences at once", "1"),
  "kv-blocks": typedFlag(int(1), "KV cache capacity in blocks (num_gpu_blocks)", "1024"),
  "block-size": typedFlag(blockSize, "tokens per KV block", "16"),
  "max-model-len": typedFlag(int(1), "largest prompt + output in tokens; more is answered 400", "8192"),
  "prefill-overhead-ms": typedFlag(nonNegative, "fixed prefill cost per request (simulated ms)", "20"),
  "prefill-ms-per-token": typedFlag(nonNegative, "prefill cost per uncached prompt token (simulated ms)", "0.25"),
  "inter-token-ms": typedFlag(nonNegative, "time between output tokens at batch size 1 (simulated ms)", "12"),
  "load-factor": typedFlag(
    z.coerce.number().min(1, "must be at least 1"),
    "latency multiplier at max-num-seqs running (1 at one)",
    "2",
  ),
  "default-max-tokens": typedFlag(int(1), "output tokens when the request sets no max_tokens", "32"),
  "time-scale": typedFlag(nonNegative, "real ms per simulated ms (0.01 = 100x faster, 0 = instant)", "1"),
  "max-body-bytes": typedFlag(int(1), "largest request body; more is answered 413", String(DEFAULT_MAX_BODY_BYTES)),
  "log-level": typedFlag(z.enum(LOG_LEVELS), `log level (${LOG_LEVELS.join(", ")})`, "info"),
};

/** SIM_FLAGS are the `sim` command-line flags. */
export const SIM_FLAGS: readonly FlagSpec[] = [...flagSpecs(SIM_FLAG_TABLE), HELP_FLAG];

const schema = z.object(SIM_FLAG_TABLE).superRefine((o, ctx) => {
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
