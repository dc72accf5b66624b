import { readFileSync } from "node:fs";

/**
 * Reading V8 .cpuprofile files: self time per function and per owner (our folders, each
 * package, Node, V8), optionally as µs per exchange when the profile covers one measurement
 * window whose exchanges are known.
 */

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** ProfileSummary is where the busy (non-idle) time went. */
export interface ProfileSummary {
  readonly busyMs: number;
  readonly idleMs: number;
  /** owners and functions: [name, µs], heaviest first. */
  readonly owners: readonly (readonly [string, number])[];
  readonly functions: readonly (readonly [string, number])[];
}

function where(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url
    .replace(/^file:\/\//, "")
    .split("/")
    .slice(-3)
    .join("/");
  return `${functionName || "(anonymous)"}${file ? ` ${file}:${lineNumber + 1}` : ""}`;
}

/** owner groups a frame by who wrote it: our folders, a package, Node itself, or V8. */
function owner(node: ProfileNode): string {
  const url = node.callFrame.url;
  if (!url) return node.callFrame.functionName.startsWith("(") ? node.callFrame.functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/(src|bench)\/([^/]+)(?:\/([^/]+))?\//.exec(url);
  if (ours) return `${ours[1]}/${ours[2]}${ours[3] && !ours[3].includes(".") ? `/${ours[3]}` : ""}`;
  return url.startsWith("node:") ? "node" : url;
}

const heaviest = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);

/** summariseProfile reads a .cpuprofile file. */
export function summariseProfile(path: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const functions = new Map<string, number>();
  const owners = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    if (node.callFrame.functionName === "(idle)") {
      idle += dt;
      return;
    }
    // The profiler's own Profiler.stop call lands in the window: not the server's work.
    if (node.callFrame.url === "node:inspector") return;
    const f = where(node);
    functions.set(f, (functions.get(f) ?? 0) + dt);
    const o = owner(node);
    owners.set(o, (owners.get(o) ?? 0) + dt);
    busy += dt;
  });
  return { busyMs: busy / 1000, idleMs: idle / 1000, owners: heaviest(owners), functions: heaviest(functions) };
}

/** formatProfile prints a summary; with `exchanges`, times are µs per exchange. */
export function formatProfile(s: ProfileSummary, top: number, exchanges?: number): string {
  const value = (us: number) =>
    exchanges
      ? `${(us / exchanges).toFixed(1).padStart(7)} µs/ex`
      : `${((100 * us) / (s.busyMs * 1000)).toFixed(1).padStart(5)}%`;
  return [
    `${s.busyMs.toFixed(0)} ms busy, ${s.idleMs.toFixed(0)} ms idle${exchanges ? `, ${exchanges} exchanges` : ""}`,
    "by owner:",
    ...s.owners.slice(0, 15).map(([k, v]) => `  ${value(v)}  ${k}`),
    "by function (self time):",
    ...s.functions.slice(0, top).map(([k, v]) => `  ${value(v)}  ${k}`),
  ].join("\n");
}
