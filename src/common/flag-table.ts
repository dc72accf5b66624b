import { z } from "zod";
import type { FlagSpec, ParsedFlags } from "./flags.js";
import { err, ok, type Result } from "./result.js";

// A flag is declared once: its zod schema carries what --help says about it, so a command's
// flag list and its validation cannot drift apart. Every command (bbr, epp, sim, devgw) declares
// its flags with these, as a zod object shape in --help order.

interface FlagHelp {
  readonly kind: FlagSpec["kind"];
  readonly help: string;
  /** shown is the default --help prints (the schema's own default may be a parsed value). */
  readonly shown?: string | undefined;
}

const flagHelp = z.registry<FlagHelp>();

/** valueFlag is a flag read by its own schema, with its help and the default --help shows. */
export function valueFlag<S extends z.ZodType>(schema: S, help: string, shown?: string): S {
  flagHelp.add(schema, { kind: "string", help, shown });
  return schema;
}

/**
 * typedFlag is a flag whose default is written as it would be typed on the command line: the
 * schema reads it like a given value, and --help shows it as written (or as `shown`).
 */
export function typedFlag<S extends z.ZodType>(schema: S, help: string, typed: string, shown = typed) {
  return valueFlag(schema.prefault(typed as z.input<S>), help, shown);
}

/** textFlag is an optional, non-empty text flag (a path, a name). */
export function textFlag(help: string, shown?: string) {
  return valueFlag(z.string().min(1).optional(), help, shown);
}

/** switchFlag is a boolean flag: bare `--name`, `--name=true` or `--name=false`. */
export function switchFlag(fallback: "true" | "false", help: string) {
  const schema = z
    .enum(["true", "false"])
    .default(fallback)
    .transform((v) => v === "true");
  flagHelp.add(schema, { kind: "boolean", help, shown: fallback });
  return schema;
}

/** HELP_FLAG is --help, which every command has. */
export const HELP_FLAG: FlagSpec = { name: "help", kind: "boolean", help: "print this help" };

/** flagSpecs lists a shape's flags, in order, as --help shows them. */
export function flagSpecs(shape: z.ZodRawShape): FlagSpec[] {
  return Object.entries(shape).map(([name, schema]) => {
    const described = flagHelp.get(schema);
    if (!described) throw new Error(`--${name} is declared without help (use valueFlag, typedFlag, textFlag or switchFlag)`);
    const { kind, help, shown } = described;
    return shown === undefined ? { name, kind, help } : { name, kind, help, default: shown };
  });
}

/** readFlags validates parsed flags with a schema; every problem is one "--flag: reason" line. */
export function readFlags<O>(schema: z.ZodType<O>, flags: ParsedFlags): Result<O, string[]> {
  const parsed = schema.safeParse(Object.fromEntries(flags));
  if (!parsed.success) return err(parsed.error.issues.map((i) => `--${String(i.path[0] ?? "")}: ${i.message}`));
  return ok(parsed.data);
}

/**
 * optionsAtDefaults reads a command's options with no flag given. Defaults that do not validate
 * are a bug in the flag declarations, not a user error, so this throws.
 */
export function optionsAtDefaults<O>(fromFlags: (flags: ParsedFlags) => Result<O, string[]>): O {
  const read = fromFlags(new Map());
  if (!read.ok) throw new Error(read.error.join("; "));
  return read.value;
}
