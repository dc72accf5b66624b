import { type FlagSpec, type ParsedFlags, parseFlags } from "../common/flags.js";
import type { Result } from "../common/result.js";
import { packageVersion } from "../common/version.js";

/** Exit codes shared by the server binaries: 0 ok, 1 config or start-up error, 2 bad command line. */
export const EXIT_OK = 0;
export const EXIT_CONFIG = 1;
export const EXIT_USAGE = 2;

/**
 * readServerCommandLine handles what every server binary's command line has in common: flag
 * parsing, --help, --version, stray arguments and option validation. It returns the options to
 * serve with, or the exit code to leave with (having printed why).
 */
export function readServerCommandLine<O>(
  name: string,
  argv: readonly string[],
  specs: readonly FlagSpec[],
  usage: string,
  toOptions: (flags: ParsedFlags) => Result<O, string[]>,
): { readonly options: O } | { readonly exit: number } {
  const parsed = parseFlags(argv, specs);
  if (!parsed.ok) {
    process.stderr.write(`${name}: ${parsed.error}\n\n${usage}`);
    return { exit: EXIT_USAGE };
  }
  const { flags, positional } = parsed.value;
  if (flags.get("help") === "true") {
    process.stdout.write(usage);
    return { exit: EXIT_OK };
  }
  if (flags.get("version") === "true") {
    process.stdout.write(`${packageVersion()}\n`);
    return { exit: EXIT_OK };
  }
  if (positional.length > 0) {
    process.stderr.write(`${name}: unexpected argument ${JSON.stringify(positional[0])}\n\n${usage}`);
    return { exit: EXIT_USAGE };
  }
  flags.delete("help");
  flags.delete("version");
  const options = toOptions(flags);
  if (!options.ok) {
    process.stderr.write(`${name}: ${options.error.join("\n")}\n`);
    return { exit: EXIT_USAGE };
  }
  return { options: options.value };
}
