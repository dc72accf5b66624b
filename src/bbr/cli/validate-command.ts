import { type FlagSpec, formatUsage, parseFlags } from "../../common/flags.js";
import { silentLogger } from "../../common/logger.js";
import { formatConfigError } from "../../common/config-error.js";
import { closePlugins } from "../../plugin/close.js";
import { loadConfigFile } from "../config/loader.js";
import { BbrMetrics } from "../metrics.js";
import { newInTreeRegistry } from "../plugins/in-tree.js";
import type { CommandIo } from "./io.js";

const FLAGS: readonly FlagSpec[] = [
  { name: "config", kind: "string", help: "config YAML file to validate" },
  { name: "help", kind: "boolean", help: "print this help" },
];

const USAGE = `Usage: bbr validate --config FILE

Validates a config as the server would load it (schema, modules, plugin types, stability,
parameters, model selectors, chains) and reports every problem at once.

${formatUsage(FLAGS)}
`;

/** runValidateCommand implements `bbr validate`. Exit codes: 0 valid, 1 invalid, 2 usage. */
export async function runValidateCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseFlags(argv, FLAGS);
  if (!parsed.ok) {
    io.stderr(`bbr validate: ${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  const { flags, positional } = parsed.value;
  if (flags.get("help") === "true") {
    io.stdout(USAGE);
    return 0;
  }
  // `bbr validate FILE` is accepted too: it is what people type first.
  const path = flags.get("config") ?? (positional.length === 1 ? positional[0] : undefined);
  if (path === undefined || positional.length > (flags.has("config") ? 0 : 1)) {
    io.stderr(`bbr validate: give one config file with --config FILE\n\n${USAGE}`);
    return 2;
  }
  const metrics = new BbrMetrics({ defaultMetrics: false });
  const loaded = await loadConfigFile(path, { registry: newInTreeRegistry(), logger: silentLogger(), metrics });
  if (!loaded.ok) {
    const n = loaded.error.issues.length;
    io.stderr(`${formatConfigError(loaded.error)}\n${path}: invalid (${n} problem${n === 1 ? "" : "s"})\n`);
    return 1;
  }
  const config = loaded.value;
  await closePlugins(config.plugins, silentLogger());
  for (const w of config.warnings) io.stderr(`${path}: warning: ${w}\n`);
  const chain = (plugins: readonly { typedName: { name: string } }[]) =>
    plugins.length === 0 ? "(none)" : plugins.map((p) => p.typedName.name).join(" → ");
  io.stdout(
    `${path}: valid: ${config.plugins.length} plugin${config.plugins.length === 1 ? "" : "s"}, ` +
      `request: ${chain(config.requestPlugins)}, response: ${chain(config.responsePlugins)}\n`,
  );
  return 0;
}
