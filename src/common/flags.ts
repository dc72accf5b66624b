import { err, ok, type Result } from "./result.js";

/** FlagSpec declares one command-line flag. */
export interface FlagSpec {
  readonly name: string;
  readonly kind: "string" | "boolean";
  readonly help: string;
  readonly default?: string;
}

/** ParsedFlags are raw flag values by name (booleans as "true"/"false"). */
export type ParsedFlags = Map<string, string>;

/**
 * parseFlags reads `--name value`, `--name=value` and, for booleans, bare `--name` or
 * `--name=false`. Unknown flags and missing values are errors (exit code 2 at the CLI).
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): Result<{ flags: ParsedFlags; positional: string[] }, string> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: ParsedFlags = new Map();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) return err(`unknown flag --${name}`);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (spec.kind === "boolean") {
      value ??= "true";
      if (value !== "true" && value !== "false") return err(`--${name} takes true or false, not ${JSON.stringify(value)}`);
    } else if (value === undefined) {
      value = argv[++i];
      if (value === undefined) return err(`--${name} needs a value`);
    }
    flags.set(name, value);
  }
  return ok({ flags, positional });
}

/** formatUsage renders flag help. */
export function formatUsage(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const left = `  --${s.name}${s.kind === "string" ? " VALUE" : ""}`;
    const def = s.default === undefined ? "" : ` (default ${s.default})`;
    return `${left.padEnd(36)} ${s.help}${def}`;
  });
  return rows.join("\n");
}
