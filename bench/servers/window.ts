import { type ELDHistogram, monitorEventLoopDelay } from "node:perf_hooks";

/** WindowStats is what a server process measured over one measurement window. */
export interface WindowStats {
  /** cpuUs is user + system CPU time of the whole process, in microseconds. */
  readonly cpuUs: number;
  readonly wallMs: number;
  /** rssPeakBytes is the largest RSS sampled (every 20 ms) during the window. */
  readonly rssPeakBytes: number;
  readonly rssEndBytes: number;
  readonly heapUsedEndBytes: number;
  /** Event-loop delay percentiles (ms), from perf_hooks.monitorEventLoopDelay. */
  readonly eventLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

// Reading RSS is a /proc read: every 20 ms keeps it under 1% of a busy server's CPU.
const RSS_SAMPLE_MS = 20;
// 5 ms timer resolution: fine enough to see a 10 MiB scan block the loop, cheap enough not to
// show up in the CPU figures.
const ELD_RESOLUTION_MS = 5;

/** MeasurementWindow samples CPU, RSS and event-loop delay between start() and stop(). */
export class MeasurementWindow {
  private cpuStart = process.cpuUsage();
  private wallStart = performance.now();
  private rssPeak = 0;
  private sampler: NodeJS.Timeout | undefined;
  private eld: ELDHistogram | undefined;

  start(): void {
    this.stopSampling();
    this.rssPeak = process.memoryUsage.rss();
    this.sampler = setInterval(() => {
      this.rssPeak = Math.max(this.rssPeak, process.memoryUsage.rss());
    }, RSS_SAMPLE_MS);
    this.eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    this.eld.enable();
    this.cpuStart = process.cpuUsage();
    this.wallStart = performance.now();
  }

  stop(): WindowStats {
    const cpu = process.cpuUsage(this.cpuStart);
    const wallMs = performance.now() - this.wallStart;
    const rss = process.memoryUsage.rss();
    const eld = this.eld;
    this.stopSampling();
    const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0);
    return {
      cpuUs: cpu.user + cpu.system,
      wallMs,
      rssPeakBytes: Math.max(this.rssPeak, rss),
      rssEndBytes: rss,
      heapUsedEndBytes: process.memoryUsage().heapUsed,
      eventLoopDelayMs: {
        p50: ms(eld?.percentile(50) ?? 0),
        p99: ms(eld?.percentile(99) ?? 0),
        max: ms(eld?.max ?? 0),
      },
    };
  }

  private stopSampling(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = undefined;
    this.eld?.disable();
    this.eld = undefined;
  }
}
