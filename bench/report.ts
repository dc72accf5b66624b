import type { ContentKind } from "./corpus.js";
import type { LoadStats } from "./load/load-generator.js";
import type { MicroResult } from "./micro/extraction.js";
import { floorOf, type ServerKind } from "./servers/kinds.js";
import type { WindowStats } from "./servers/window.js";

/** LoadResult is one server under one scenario, one round. */
export interface LoadResult {
  readonly server: ServerKind;
  readonly size: number;
  readonly bodyBytes: number;
  readonly chunks: number;
  readonly content: ContentKind;
  readonly concurrency: number;
  readonly modelPosition: "first" | "last";
  readonly round: number;
  readonly exchangesPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverCpuUsPerExchange: number;
  /** serverCpuCores is server CPU time / wall time (1.0 = one core busy). */
  readonly serverCpuCores: number;
  readonly clientCpuUsPerExchange: number;
  readonly serverRssPeakMiB: number;
  readonly eventLoopDelayMs: WindowStats["eventLoopDelayMs"];
  readonly load: LoadStats;
  /** profile (with --cpu-prof) says where the server's CPU went in the window. */
  readonly profile?: {
    readonly file: string;
    readonly busyUsPerExchange: number;
    readonly owners: readonly { readonly owner: string; readonly usPerExchange: number }[];
    readonly functions: readonly { readonly fn: string; readonly usPerExchange: number }[];
  };
}

/** Ratio compares a server with its floor (floorOf) on one scenario (medians over rounds). */
export interface Ratio {
  readonly server: ServerKind;
  readonly floor: ServerKind;
  readonly size: number;
  readonly concurrency: number;
  readonly modelPosition: "first" | "last";
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuPerExchange: number;
}

/** Target is one goal from the issue, judged on this run. */
export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

const MiB = 1024 * 1024;

/** sizeLabel prints 1024 as "1 KiB", 1048576 as "1 MiB". */
export function sizeLabel(size: number): string {
  if (size >= MiB && size % MiB === 0) return `${size / MiB} MiB`;
  if (size >= 1024 && size % 1024 === 0) return `${size / 1024} KiB`;
  return `${size} B`;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

type Key = `${number}/${number}/${string}`;
const keyOf = (r: { size: number; concurrency: number; modelPosition: string }): Key =>
  `${r.size}/${r.concurrency}/${r.modelPosition}`;

/** MedianResult is a server's medians over rounds for one scenario. */
export type MedianResult = Pick<
  LoadResult,
  "server" | "size" | "concurrency" | "modelPosition" | "exchangesPerSec" | "p50Ms" | "p99Ms" | "serverCpuUsPerExchange"
> & { readonly rssPeakMiB: number; readonly eldP99Ms: number; readonly errors: number; readonly wrong: number };

/** medians folds rounds into one row per server and scenario. */
export function medians(results: readonly LoadResult[]): MedianResult[] {
  const groups = new Map<string, LoadResult[]>();
  for (const r of results) {
    const k = `${keyOf(r)}/${r.server}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((rs) => {
    const first = rs[0]!;
    return {
      server: first.server,
      size: first.size,
      concurrency: first.concurrency,
      modelPosition: first.modelPosition,
      exchangesPerSec: median(rs.map((r) => r.exchangesPerSec)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      serverCpuUsPerExchange: median(rs.map((r) => r.serverCpuUsPerExchange)),
      rssPeakMiB: Math.max(...rs.map((r) => r.serverRssPeakMiB)),
      eldP99Ms: median(rs.map((r) => r.eventLoopDelayMs.p99)),
      errors: rs.reduce((a, r) => a + r.load.errors, 0),
      wrong: rs.reduce((a, r) => a + r.load.wrong, 0),
    };
  });
}

/** ratios divides each server's medians by its floor's (its transport's no-op) on the same scenario. */
export function ratios(rows: readonly MedianResult[]): Ratio[] {
  const byServer = new Map(rows.map((r) => [`${keyOf(r)}/${r.server}`, r]));
  const out: Ratio[] = [];
  for (const r of rows) {
    const floor = floorOf(r.server);
    const f = floor && byServer.get(`${keyOf(r)}/${floor}`);
    if (!floor || !f) continue;
    out.push({
      server: r.server,
      floor,
      size: r.size,
      concurrency: r.concurrency,
      modelPosition: r.modelPosition,
      throughput: r.exchangesPerSec / f.exchangesPerSec,
      p50: r.p50Ms / f.p50Ms,
      p99: r.p99Ms / f.p99Ms,
      cpuPerExchange: r.serverCpuUsPerExchange / f.serverCpuUsPerExchange,
    });
  }
  return out;
}

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

/**
 * targets judges issue 14's goals on what this run measured (met undefined: not measured). Each
 * carries the issue's "today" figure (measured on the commit before the work, 99db4b1, against
 * the floor as it then was) so one table shows before and now.
 */
export function targets(rows: readonly MedianResult[], rs: readonly Ratio[], micro: readonly MicroResult[]): Target[] {
  const out: Target[] = [];
  const ratioOf = (server: ServerKind, size: number, c: number) =>
    rs.filter((r) => r.server === server && r.size === size && r.concurrency === c && r.modelPosition === "last");
  const judge = (
    name: string,
    today: string,
    goal: string,
    found: readonly Ratio[],
    value: (r: Ratio) => number,
    ok: (v: number) => boolean,
  ) =>
    out.push({
      name,
      goal: `${goal} (today ${today})`,
      measured: found.length ? found.map((r) => `${fmt(value(r))} x`).join(", ") : "not run",
      met: found.length ? found.every((r) => ok(value(r))) : undefined,
    });
  judge(
    "CPU/ex ÷ no-op, 1 KiB × 64",
    "1.59",
    "<= 1.10",
    ratioOf("bbr", 1024, 64),
    (r) => r.cpuPerExchange,
    (v) => v <= 1.1,
  );
  judge(
    "CPU/ex ÷ no-op, 1 MiB last × 4",
    "1.72",
    "<= 1.10",
    ratioOf("bbr", MiB, 4),
    (r) => r.cpuPerExchange,
    (v) => v <= 1.1,
  );
  judge(
    "throughput ÷ no-op, 1 KiB × 64",
    "0.68-0.93",
    ">= 0.92",
    ratioOf("bbr", 1024, 64),
    (r) => r.throughput,
    (v) => v >= 0.92,
  );
  judge(
    "p50 ÷ no-op, 1 KiB × 1",
    "1.15-1.34",
    "<= 1.10",
    ratioOf("bbr", 1024, 1),
    (r) => r.p50,
    (v) => v <= 1.1,
  );
  judge(
    "connect CPU/ex ÷ connect no-op, 1 KiB × 64",
    "n/a",
    "<= 1.10",
    ratioOf("bbr-connect", 1024, 64),
    (r) => r.cpuPerExchange,
    (v) => v <= 1.1,
  );
  judge(
    "EPP CPU/ex ÷ no-op, 1 KiB × 64",
    "not measured",
    "<= 1.5",
    ratioOf("epp" as ServerKind, 1024, 64),
    (r) => r.cpuPerExchange,
    (v) => v <= 1.5,
  );
  const rss = rows.filter((r) => r.server === "bbr" && r.size === MiB && r.concurrency === 64);
  out.push({
    name: "64 × 1 MiB in flight: peak RSS",
    goal: "<= idle + 1.2 × 64 MiB (idle: npm run bench:idle)",
    measured: rss.length ? rss.map((r) => `${fmt(r.rssPeakMiB, 0)} MiB`).join(", ") : "not run",
    met: undefined,
  });
  const chat = micro.find(
    (m) => m.size === MiB && m.modelPosition === "last" && m.task === "scan" && m.content === "chat",
  );
  out.push({
    name: "model scan, chat 1 MiB, model last",
    goal: "<= 0.30 ms (today 0.57)",
    measured: chat ? `${fmt(chat.p50Ms, 3)} ms` : "not run",
    met: chat ? chat.p50Ms <= 0.3 : undefined,
  });
  return out;
}

/** table lays out columns; the first `textColumns` are left-aligned, numbers to the right. */
function table(header: readonly string[], rows: readonly (readonly string[])[], textColumns: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i < textColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * transportTable puts BBR's CPU per exchange over its own transport's no-op side by side for
 * grpc-js and connect-node, one row per scenario (undefined when neither pair ran).
 */
function transportTable(rs: readonly Ratio[]): string | undefined {
  const cpu = (server: ServerKind, key: Key) => rs.find((r) => r.server === server && keyOf(r) === key)?.cpuPerExchange;
  const keys = [...new Set(rs.filter((r) => r.server === "bbr" || r.server === "bbr-connect").map(keyOf))];
  if (keys.length === 0) return undefined;
  return table(
    ["size", "conc", "model", "cpu/ex: bbr / noop-grpc", "bbr-connect / noop-connect", "noop-connect / noop-grpc"],
    keys.map((key) => {
      const r = rs.find((x) => keyOf(x) === key)!;
      return [
        sizeLabel(r.size),
        String(r.concurrency),
        r.modelPosition,
        fmt(cpu("bbr", key) ?? Number.NaN),
        fmt(cpu("bbr-connect", key) ?? Number.NaN),
        fmt(cpu("noop-connect", key) ?? Number.NaN),
      ];
    }),
    3,
  );
}

/** printReport writes the human-readable tables. */
export function printReport(
  rows: readonly MedianResult[],
  rs: readonly Ratio[],
  micro: readonly MicroResult[],
  ts: readonly Target[],
): string {
  const parts: string[] = [];
  if (rows.length) {
    const ratioOf = (r: MedianResult) => rs.find((x) => x.server === r.server && keyOf(x) === keyOf(r));
    parts.push(
      table(
        [
          "size",
          "conc",
          "model",
          "server",
          "exch/s",
          "p50 ms",
          "p99 ms",
          "cpu µs/ex",
          "rss MiB",
          "eld p99",
          "floor",
          "x floor tput",
          "x floor p50",
          "x floor cpu",
          "errors",
        ],
        rows.map((r) => {
          const ratio = ratioOf(r);
          return [
            sizeLabel(r.size),
            String(r.concurrency),
            r.modelPosition,
            r.server,
            fmt(r.exchangesPerSec, 0),
            fmt(r.p50Ms, 3),
            fmt(r.p99Ms, 3),
            fmt(r.serverCpuUsPerExchange, 0),
            fmt(r.rssPeakMiB, 0),
            fmt(r.eldP99Ms, 1),
            ratio?.floor ?? "",
            ratio ? fmt(ratio.throughput) : "",
            ratio ? fmt(ratio.p50) : "",
            ratio ? fmt(ratio.cpuPerExchange) : "",
            String(r.errors + r.wrong),
          ];
        }),
        4,
      ),
    );
    const transports = transportTable(rs);
    if (transports) parts.push(transports);
  }
  if (micro.length) {
    const keys = [...new Set(micro.map((m) => `${m.content}/${m.size}/${m.modelPosition}`))];
    parts.push(
      table(
        ["content", "size", "model", "scan p50 ms", "last-chunk p50 ms", "JSON.parse p50 ms", "parse / scan"],
        keys.map((k) => {
          const of = (task: MicroResult["task"]) =>
            micro.find((m) => `${m.content}/${m.size}/${m.modelPosition}` === k && m.task === task);
          const [scan, last, parse] = [of("scan"), of("last-chunk"), of("JSON.parse")];
          const any = scan ?? last ?? parse!;
          return [
            any.content,
            sizeLabel(any.size),
            any.modelPosition,
            fmt(scan?.p50Ms ?? Number.NaN, 4),
            fmt(last?.p50Ms ?? Number.NaN, 4),
            fmt(parse?.p50Ms ?? Number.NaN, 4),
            scan && parse ? `${fmt(parse.p50Ms / scan.p50Ms, 1)} x` : "",
          ];
        }),
        3,
      ),
    );
  }
  if (ts.length) {
    parts.push(
      table(
        ["target", "goal", "met", "measured"],
        ts.map((t) => [t.name, t.goal, t.met === undefined ? "-" : t.met ? "yes" : "NO", t.measured]),
        4,
      ),
    );
  }
  return parts.join("\n\n");
}
