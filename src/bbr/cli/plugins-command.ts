import { type FlagSpec, formatUsage, parseFlags } from "../../common/flags.js";
import { silentLogger } from "../../common/logger.js";
import { formatConfigError } from "../../common/config-error.js";
import { closePlugins } from "../../plugin/close.js";
import { loadConfigFile } from "../config/loader.js";
import type { BbrRegistry } from "../api/plugin-handle.js";
import { BbrMetrics } from "../metrics.js";
import { newInTreeRegistry } from "../plugins/in-tree.js";
import { describeRegistry, stabilityLabel } from "../../plugin/describe.js";
import type { CommandIo } from "./io.js";

const FLAGS: readonly FlagSpec[] = [
  { name: "json", kind: "boolean", help: "print JSON instead of text" },
  { name: "config", kind: "string", help: "also list the types added by this config's modules" },
  { name: "help", kind: "boolean", help: "print this help" },
];

const USAGE = `Usage: bbr plugins [--json] [--config FILE]

Lists every plugin type with its stability, extension points and parameter JSON Schema.

${formatUsage(FLAGS)}
`;

function indent(text: string, by: string): string {
  return text
    .split("\n")
    .map((l) => by + l)
    .join("\n");
}

/** runPluginsCommand implements `bbr plugins`. Exit codes: 0 listed, 1 config error, 2 usage. */
export async function runPluginsCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseFlags(argv, FLAGS);
  if (!parsed.ok || parsed.value.positional.length > 0) {
    io.stderr(
      `bbr plugins: ${parsed.ok ? `unexpected argument ${JSON.stringify(parsed.value.positional[0])}` : parsed.error}\n\n${USAGE}`,
    );
    return 2;
  }
  const { flags } = parsed.value;
  if (flags.get("help") === "true") {
    io.stdout(USAGE);
    return 0;
  }
  let registry: BbrRegistry = newInTreeRegistry();
  const configPath = flags.get("config");
  if (configPath !== undefined) {
    const loaded = await loadConfigFile(configPath, {
      registry,
      logger: silentLogger(),
      metrics: new BbrMetrics({ defaultMetrics: false }),
    });
    if (!loaded.ok) {
      io.stderr(`${formatConfigError(loaded.error)}\n`);
      return 1;
    }
    await closePlugins(loaded.value.plugins, silentLogger());
    registry = loaded.value.registry;
  }
  const listing = describeRegistry(registry);
  if (flags.get("json") === "true") {
    io.stdout(`${JSON.stringify(listing, null, 2)}\n`);
    return 0;
  }
  const out: string[] = [];
  for (const t of listing.types) {
    out.push(`${t.type}  [${stabilityLabel(t)}]  ${t.extensionPoints.join(", ")}`);
    out.push(`  ${t.description}`);
    if (t.deprecated) {
      const repl = t.deprecated.replacements?.length ? ` (replacements: ${t.deprecated.replacements.join(", ")})` : "";
      out.push(`  DEPRECATED: ${t.deprecated.message}${repl}`);
    }
    out.push("  parameters (JSON Schema):");
    out.push(indent(JSON.stringify(t.parameters, null, 2), "    "));
    out.push("");
  }
  if (listing.removed.length > 0) {
    out.push("Removed types:");
    for (const r of listing.removed) {
      const repl = r.replacements.length ? ` (replacements: ${r.replacements.join(", ")})` : "";
      out.push(`  ${r.type}${r.removedIn ? ` (removed in ${r.removedIn})` : ""}: ${r.message}${repl}`);
    }
  }
  io.stdout(`${out.join("\n")}\n`);
  return 0;
}
