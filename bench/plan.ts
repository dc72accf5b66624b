import type { ContentKind } from "./corpus.js";
import type { MicroOptions } from "./micro/extraction.js";
import { DEFAULT_SERVER_KINDS, SERVER_KINDS, type ServerKind } from "./servers/kinds.js";

/** Mode is how much to run: the full matrix, the targets' scenarios, or one tiny iteration. */
export type Mode = "full" | "quick" | "smoke";

/** Position is where `model` sits in the body. */
export type Position = "first" | "last";

/** Plan is everything one bench run does, from the command line. */
export interface Plan {
  readonly mode: Mode;
  readonly sizes: readonly number[];
  readonly concurrency: readonly number[];
  readonly positions: readonly Position[];
  readonly servers: readonly ServerKind[];
  readonly content: ContentKind;
  readonly rounds: number;
  /** Scenarios with more body bytes than this in flight are skipped (memory on a shared box). */
  readonly maxInFlightBytes: number;
  readonly window: (size: number) => { readonly warmupMs: number; readonly measureMs: number };
  /** primeMs is the unmeasured load each fresh server process gets first. */
  readonly primeMs: number;
  readonly micro: MicroOptions | undefined;
  readonly cpuProf: boolean;
  /** nodeOptions are extra Node/V8 flags for the server processes (all of them, for fairness). */
  readonly nodeOptions: readonly string[];
}

const KiB = 1024;
const MiB = 1024 * KiB;

function parseSize(text: string): number {
  const m = /^(\d+)\s*(k|kib|m|mib)?$/i.exec(text.trim());
  if (!m) throw new Error(`bad size ${text}`);
  const unit = (m[2] ?? "").toLowerCase();
  return Number(m[1]) * (unit.startsWith("m") ? MiB : unit.startsWith("k") ? KiB : 1);
}

function serverKind(text: string): ServerKind {
  if (!(SERVER_KINDS as readonly string[]).includes(text)) {
    throw new Error(`unknown server ${text} (one of ${SERVER_KINDS.join(", ")})`);
  }
  return text as ServerKind;
}

/** planFrom reads the command line (see run.ts for the options). */
export function planFrom(argv: readonly string[]): Plan {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}`);
    flags.set(m[1]!, m[2] ?? "true");
  }
  const mode: Mode = flags.has("smoke") ? "smoke" : flags.has("quick") ? "quick" : "full";
  const list = <T>(name: string, parse: (s: string) => T, fallback: readonly T[]): readonly T[] =>
    flags.has(name) ? flags.get(name)!.split(",").map(parse) : fallback;
  const defaults = {
    full: {
      sizes: [KiB, 100 * KiB, MiB, 10 * MiB],
      concurrency: [1, 16, 64, 256],
      positions: ["first", "last"] as Position[],
    },
    quick: { sizes: [KiB, MiB], concurrency: [1, 4, 64], positions: ["last"] as Position[] },
    smoke: { sizes: [KiB], concurrency: [1], positions: ["last"] as Position[] },
  }[mode];
  const window =
    mode === "smoke"
      ? () => ({ warmupMs: 100, measureMs: 300 })
      : mode === "quick"
        ? (size: number) => ({ warmupMs: 300, measureMs: size >= MiB ? 2000 : 1000 })
        : (size: number) => ({
            warmupMs: size >= 10 * MiB ? 2000 : 1000,
            measureMs: size >= 10 * MiB ? 6000 : size >= MiB ? 4000 : 3000,
          });
  const microSizes = mode === "full" ? [KiB, 100 * KiB, MiB, 10 * MiB] : mode === "quick" ? [100 * KiB, MiB] : [KiB];
  return {
    mode,
    sizes: list("sizes", parseSize, defaults.sizes),
    concurrency: list("concurrency", Number, defaults.concurrency),
    positions: list("positions", (s) => s as Position, defaults.positions),
    servers: list("servers", serverKind, DEFAULT_SERVER_KINDS),
    content: (flags.get("content") ?? "chat") as ContentKind,
    // Quick runs the target scenarios twice (rotating the order); the full matrix once.
    rounds: Number(flags.get("rounds") ?? (mode === "quick" ? 2 : 1)),
    maxInFlightBytes: 1024 * MiB,
    window,
    primeMs: mode === "smoke" ? 100 : mode === "quick" ? 1500 : 3000,
    micro: flags.has("no-micro")
      ? undefined
      : {
          sizes: microSizes,
          contents: mode === "smoke" ? ["chat"] : ["chat", "code", "image"],
          positions: mode === "smoke" ? ["last"] : ["first", "last"],
          timeMs: mode === "smoke" ? 20 : mode === "quick" ? 300 : 1000,
          warmupMs: mode === "smoke" ? 5 : 100,
        },
    cpuProf: flags.has("cpu-prof"),
    nodeOptions: (flags.get("node-options") ?? "").split(" ").filter((f) => f !== ""),
    ...(flags.has("no-load") ? { sizes: [] } : {}),
  };
}
