import { z } from "zod";
import type { FlagSpec, ParsedFlags } from "./flags.js";
import { err, ok, type Result } from "./result.js";

/**
 * ValueFlag is one row of a flag table: a flag that takes a value, declared once with its help
 * text, the zod schema that reads the value, and its default. The default is written as it would
 * be typed on the command line, so the usage text shows what the schema applies.
 */
export interface ValueFlag<S extends z.ZodType = z.ZodType> {
  readonly help: string;
  readonly read: S;
  /** Parsed by `read` when the flag is absent; none: absent stays undefined. */
  readonly fallback: string | undefined;
  /** The default the usage text shows. */
  readonly shown: string | undefined;
}

/** FlagTable lists a command's value flags by name, in the order of its usage text. */
export type FlagTable = Readonly<Record<string, ValueFlag>>;

/** FlagValues are a table's flags as read: each flag's schema output. */
export type FlagValues<T extends FlagTable> = { [K in keyof T]: z.output<T[K]["read"]> };

/**
 * valueFlag declares a flag that takes a value. `shown` replaces the fallback in the usage text
 * where the default is described rather than typed (e.g. "<model>-<port>").
 */
export function valueFlag<S extends z.ZodType>(
  help: string,
  read: S,
  fallback?: string,
  shown: string | undefined = fallback,
): ValueFlag<S> {
  return { help, read, fallback, shown };
}

/** HELP_FLAG is --help, which every command has. */
export const HELP_FLAG: FlagSpec = { name: "help", kind: "boolean", help: "print this help" };

/** flagSpecs are the table's flags for parseFlags and formatUsage. */
export function flagSpecs(table: FlagTable): FlagSpec[] {
  return Object.entries(table).map(([name, flag]) => ({
    name,
    kind: "string",
    help: flag.help,
    ...(flag.shown !== undefined && { default: flag.shown }),
  }));
}

/**
 * flagSchema reads a table's flags from their strings, absent ones from their fallbacks, as one
 * zod object, so a command can refine it with checks across flags. Flags not in the table (such
 * as --help) are left out.
 */
export function flagSchema<T extends FlagTable>(table: T): z.ZodType<FlagValues<T>> {
  const shape = Object.fromEntries(
    Object.entries(table).map(([name, flag]) => [
      name,
      flag.fallback === undefined ? flag.read : flag.read.prefault(flag.fallback),
    ]),
  );
  return z.object(shape) as unknown as z.ZodType<FlagValues<T>>;
}

/** readFlags validates parsed flags with a schema; every problem is one "--flag: reason" line. */
export function readFlags<O>(schema: z.ZodType<O>, flags: ParsedFlags): Result<O, string[]> {
  const parsed = schema.safeParse(Object.fromEntries(flags));
  if (!parsed.success) return err(parsed.error.issues.map((i) => `--${String(i.path[0] ?? "")}: ${i.message}`));
  return ok(parsed.data);
}

/**
 * optionsAtDefaults reads a command's options with no flag given. Defaults that do not validate
 * are a bug in the flag table, not a user error, so this throws.
 */
export function optionsAtDefaults<O>(fromFlags: (flags: ParsedFlags) => Result<O, string[]>): O {
  const read = fromFlags(new Map());
  if (!read.ok) throw new Error(read.error.join("; "));
  return read.value;
}
