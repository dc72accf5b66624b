import type { Logger } from "../../../common/logger.js";
import type { MetricsDataSource, MetricsExtractor } from "../../api/datalayer.js";
import type { EndpointState, EndpointStore } from "../datastore.js";
import { parseMetricsText } from "./prometheus.js";
import { Scraper } from "./scrape.js";

/** CollectorOptions are the scrape cadence: GIE's 50 ms refresh interval and 1 s poll timeout by default. */
export interface CollectorOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** onScrape counts results (the epp_metrics_scrapes_total metric). */
  readonly onScrape?: (result: "success" | "error") => void;
}

/**
 * MetricsCollector keeps one scrape loop per endpoint in the store: scrape, parse, extract,
 * publish, wait out the rest of the interval (never two scrapes of one endpoint at once). A
 * failed scrape keeps the previous metrics, which then age into "unknown". Errors are logged on
 * transitions only, so a dead server logs once, not twenty times a second.
 */
export class MetricsCollector {
  private readonly loops = new Map<EndpointState, ScrapeLoop>();
  private readonly scraper: Scraper;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: EndpointStore,
    private readonly source: MetricsDataSource,
    private readonly extractor: MetricsExtractor,
    private readonly options: CollectorOptions,
  ) {
    this.scraper = new Scraper(source.insecureSkipVerify);
  }

  /** start begins scraping every endpoint now in the store and every one added later. */
  start(): void {
    this.unsubscribe ??= this.store.subscribe({
      added: (e) => {
        const loop = new ScrapeLoop(e, this);
        this.loops.set(e, loop);
        loop.schedule(0);
      },
      removed: (e) => {
        this.loops.get(e)?.stop();
        this.loops.delete(e);
      },
    });
  }

  /** stop ends every loop and closes idle connections. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const loop of this.loops.values()) loop.stop();
    this.loops.clear();
    this.scraper.close();
  }

  /** scrapeOnce scrapes one endpoint and publishes its metrics; resolves with the error, if any. */
  async scrapeOnce(endpoint: EndpointState): Promise<string | undefined> {
    const fetched = await this.scraper.fetch(this.source.metricsUrl(endpoint.metadata), this.options.timeoutMs);
    if (!fetched.ok) return fetched.error;
    const families = parseMetricsText(fetched.value);
    if (!families.ok) return families.error;
    const extracted = this.extractor.extract(families.value, endpoint.metadata);
    if (!extracted.ok) return extracted.error;
    endpoint.lastMetrics = { ...extracted.value, updatedAt: performance.now() };
    return undefined;
  }

  /** @internal */
  get settings(): CollectorOptions {
    return this.options;
  }
}

class ScrapeLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastError: string | undefined;
  private everSucceeded = false;

  constructor(
    private readonly endpoint: EndpointState,
    private readonly collector: MetricsCollector,
  ) {}

  schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    const { intervalMs, logger, onScrape } = this.collector.settings;
    const start = performance.now();
    const error = await this.collector.scrapeOnce(this.endpoint);
    if (this.stopped) return;
    onScrape?.(error === undefined ? "success" : "error");
    const endpoint = this.endpoint.metadata.key;
    if (error !== undefined && error !== this.lastError) {
      logger.warn({ endpoint, err: error }, "metrics scrape failing");
    } else if (error === undefined && (this.lastError !== undefined || !this.everSucceeded)) {
      logger.debug({ endpoint }, "metrics scrape ok");
    }
    if (error === undefined) this.everSucceeded = true;
    this.lastError = error;
    this.schedule(Math.max(0, intervalMs - (performance.now() - start)));
  }
}
