import type { Logger } from "../common/logger.js";

/**
 * untilSignal resolves with `okCode` after SIGTERM or SIGINT has triggered `stop` and it has
 * finished (or with `failCode` when stop failed). Kubernetes sends SIGTERM on pod deletion, so
 * this is where a serving process spends its life.
 */
export function untilSignal(
  stop: () => Promise<void>,
  logger: Logger,
  okCode: number,
  failCode: number,
): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, "signal received");
      stop().then(
        () => resolve(okCode),
        () => resolve(failCode),
      );
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}
