import { z } from "zod";

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * durationMs accepts Go/Envoy-style durations ("200ms", "1.5s", "5m") or a number of
 * milliseconds, and yields milliseconds.
 */
export const durationMs = z.union([
  z.number().min(0),
  z
    .string()
    .regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'must be a duration such as "200ms", "1.5s" or "5m"')
    .transform((s) => {
      const [, num, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s)!;
      return Number(num) * UNIT_MS[unit!]!;
    }),
]);
