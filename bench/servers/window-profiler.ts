import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

/**
 * WindowProfiler records a V8 CPU profile of exactly one measurement window (not start-up or
 * warm-up), so its self times divided by the window's exchanges are µs per exchange.
 */
export class WindowProfiler {
  private session: Session | undefined;

  async start(): Promise<void> {
    if (!this.session) {
      this.session = new Session();
      this.session.connect();
      await this.session.post("Profiler.enable");
      // 200 µs: enough samples in a one-second window, little overhead.
      await this.session.post("Profiler.setSamplingInterval", { interval: 200 });
    }
    await this.session.post("Profiler.start");
  }

  /** stop writes the window's profile to `path`. */
  async stop(path: string): Promise<void> {
    if (!this.session) return;
    const { profile } = await this.session.post("Profiler.stop");
    writeFileSync(path, JSON.stringify(profile));
  }
}
