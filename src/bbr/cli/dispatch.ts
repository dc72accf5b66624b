import { PROCESS_IO } from "./io.js";

/** SUBCOMMANDS_USAGE is the usage text of the subcommands, for the main help. */
export const SUBCOMMANDS_USAGE = `       bbr plugins [--json] [--config FILE]   list plugin types, stability and parameter schemas
       bbr validate --config FILE             validate a config; exit 1 listing every problem`;

/**
 * runSubcommand runs `bbr plugins|validate …`, or returns undefined when argv names no subcommand.
 * Each subcommand is imported only when run, so the server never holds their modules.
 */
export function runSubcommand(argv: readonly string[]): Promise<number> | undefined {
  switch (argv[0]) {
    case "plugins":
      return import("./plugins-command.js").then((m) => m.runPluginsCommand(argv.slice(1), PROCESS_IO));
    case "validate":
      return import("./validate-command.js").then((m) => m.runValidateCommand(argv.slice(1), PROCESS_IO));
    default:
      return undefined;
  }
}
