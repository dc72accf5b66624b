import { PROCESS_IO } from "./io.js";
import { runPluginsCommand } from "./plugins-command.js";
import { runValidateCommand } from "./validate-command.js";

/** SUBCOMMANDS_USAGE is the usage text of the subcommands, for the main help. */
export const SUBCOMMANDS_USAGE = `       bbr plugins [--json] [--config FILE]   list plugin types, stability and parameter schemas
       bbr validate --config FILE             validate a config; exit 1 listing every problem`;

/** runSubcommand runs `bbr plugins|validate …`, or returns undefined when argv names no subcommand. */
export function runSubcommand(argv: readonly string[]): Promise<number> | undefined {
  switch (argv[0]) {
    case "plugins":
      return runPluginsCommand(argv.slice(1), PROCESS_IO);
    case "validate":
      return runValidateCommand(argv.slice(1), PROCESS_IO);
    default:
      return undefined;
  }
}
