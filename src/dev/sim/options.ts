import { z } from "zod";
import type { FlagSpec, ParsedFlags } from "../../common/flags.js";
import { LOG_LEVELS, type LogLevel } from "../../common/logger.js";
import { err, ok, type Result } from "../../common/result.js";
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

/** SIM_FLAGS are the `sim` command-line flags; vLLM's names where vLLM has one. */
export const SIM_FLAGS: readonly FlagSpec[] = [
  { name: "model", kind: "string", help: "base model name served", default: "llama-3-8b" },
  { name: "lora-modules", kind: "string", help: "LoRA adapter names served, comma-separated", default: "none" },
  { name: "name", kind: "string", help: "instance name for x-inference-pod", default: "<model>-<port>" },
  { name: "bind-address", kind: "string", help: "address to listen on", default: "127.0.0.1" },
  { name: "port", kind: "string", help: "HTTP port of the first replica (0 picks free ports)", default: "8000" },
  {
    name: "replicas",
    kind: "string",
    help: "independent instances in this process, on port, port+1, ...",
    default: "1",
  },
  { name: "max-num-seqs", kind: "string", help: "most sequences running at once; more wait", default: "5" },
  { name: "max-loras", kind: "string", help: "most LoRA adapters with running sequences at once", default: "1" },
  { name: "kv-blocks", kind: "string", help: "KV cache capacity in blocks (num_gpu_blocks)", default: "1024" },
  { name: "block-size", kind: "string", help: "tokens per KV block", default: "16" },
  {
    name: "max-model-len",
    kind: "string",
    help: "largest prompt + output in tokens; more is answered 400",
    default: "8192",
  },
  { name: "prefill-overhead-ms", kind: "string", help: "fixed prefill cost per request (simulated ms)", default: "20" },
  {
    name: "prefill-ms-per-token",
    kind: "string",
    help: "prefill cost per uncached prompt token (simulated ms)",
    default: "0.25",
  },
  {
    name: "inter-token-ms",
    kind: "string",
    help: "time between output tokens at batch size 1 (simulated ms)",
    default: "12",
  },
  { name: "load-factor", kind: "string", help: "latency multiplier at max-num-seqs running (1 at one)", default: "2" },
  {
    name: "default-max-tokens",
    kind: "string",
    help: "output tokens when the request sets no max_tokens",
    default: "32",
  },
  {
    name: "time-scale",
    kind: "string",
    help: "real ms per simulated ms (0.01 = 100x faster, 0 = instant)",
    default: "1",
  },
  {
    name: "max-body-bytes",
    kind: "string",
    help: "largest request body; more is answered 413",
    default: String(32 * 1024 * 1024),
  },
  { name: "log-level", kind: "string", help: `log level (${LOG_LEVELS.join(", ")})`, default: "info" },
  { name: "help", kind: "boolean", help: "print this help" },
];

const int = (min: number) => z.coerce.number().int().min(min);
const nonNegative = z.coerce.number().min(0);

const schema = z
  .object({
    model: z.string().trim().min(1).default("llama-3-8b"),
    "lora-modules": z
      .string()
      .default("")
      .transform((s) => [
        ...new Set(
          s
            .split(",")
            .map((x) => x.trim())
            .filter((x) => x !== ""),
        ),
      ]),
    name: z.string().trim().min(1).optional(),
    "bind-address": z.string().min(1).default("127.0.0.1"),
    port: int(0).max(65535).default(8000),
    replicas: int(1).max(64).default(1),
    "max-num-seqs": int(1).default(5),
    "max-loras": int(1).default(1),
    "kv-blocks": int(1).default(1024),
    "block-size": z.coerce
      .number()
      .pipe(z.union([z.literal(8), z.literal(16), z.literal(32), z.literal(64), z.literal(128)]))
      .default(16),
    "max-model-len": int(1).default(8192),
    "prefill-overhead-ms": nonNegative.default(20),
    "prefill-ms-per-token": nonNegative.default(0.25),
    "inter-token-ms": nonNegative.default(12),
    "load-factor": z.coerce.number().min(1, "must be at least 1").default(2),
    "default-max-tokens": int(1).default(32),
    "time-scale": nonNegative.default(1),
    "max-body-bytes": int(1).default(32 * 1024 * 1024),
    "log-level": z.enum(LOG_LEVELS).default("info"),
  })
  .superRefine((o, ctx) => {
    if (o.port !== 0 && o.port + o.replicas - 1 > 65535) {
      ctx.addIssue({ code: "custom", path: ["replicas"], message: "port + replicas - 1 exceeds 65535" });
    }
    if (o["lora-modules"].includes(o.model)) {
      ctx.addIssue({ code: "custom", path: ["lora-modules"], message: "an adapter cannot have the base model's name" });
    }
  });

/** simOptionsFromFlags validates parsed flags. */
export function simOptionsFromFlags(flags: ParsedFlags): Result<SimOptions, string[]> {
  const parsed = schema.safeParse(Object.fromEntries(flags));
  if (!parsed.success) return err(parsed.error.issues.map((i) => `--${String(i.path[0] ?? "")}: ${i.message}`));
  const o = parsed.data;
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

/** defaultSimOptions are the options with every flag at its default, plus overrides. */
export function defaultSimOptions(overrides: Partial<SimOptions> = {}): SimOptions {
  const base = simOptionsFromFlags(new Map());
  if (!base.ok) throw new Error(base.error.join("; "));
  return { ...base.value, ...overrides };
}
