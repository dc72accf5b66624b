import { z } from "zod";
import { err, ok, type Result } from "./result.js";

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * parseDuration reads a Go-style duration ("200ms", "1.5s", "1m30s") into milliseconds, so
 * flags and config values written for the Go reference implementations keep working.
 */
export function parseDuration(text: string): Result<number, string> {
  const s = text.trim();
  if (s === "0") return ok(0);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return err(`invalid duration ${JSON.stringify(text)} (use e.g. 50ms, 1s, 2m)`);
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0) return err(`invalid duration ${JSON.stringify(text)} (use e.g. 50ms, 1s, 2m)`);
  return ok(total);
}

/** durationSchema validates a Go-style duration string and yields milliseconds. */
export const durationSchema = z.string().transform((v, ctx) => {
  const parsed = parseDuration(v);
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: parsed.error });
    return z.NEVER;
  }
  return parsed.value;
});

/** durationOrMillisSchema takes a Go-style duration string or a number of milliseconds. */
export const durationOrMillisSchema = z.union([z.number().min(0), durationSchema]);
