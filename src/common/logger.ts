import { pino } from "pino";

/** Logger is the structured logger every component receives; pino underneath. */
export type Logger = pino.Logger;

/** LOG_LEVELS lists the accepted --log-level values. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** createLogger builds the process logger: JSON lines on stdout, never request bodies. */
export function createLogger(level: LogLevel, name: string): Logger {
  return pino({ name, level, base: { component: name } });
}

/** silentLogger is for tests and embedding. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
