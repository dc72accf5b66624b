import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { silentLogger } from "../../src/common/logger.js";
import { DEFAULT_CONFIG_SOURCE, DEFAULT_CONFIG_YAML } from "../../src/bbr/config/default-config.js";
import { loadConfigText } from "../../src/bbr/config/loader.js";
import { BbrMetrics } from "../../src/bbr/metrics.js";
import { defaultOptions } from "../../src/bbr/server/options.js";
import { settingsFrom } from "../../src/bbr/server/bbr-server.js";
import type { BbrEnvironment } from "../../src/bbr/pipeline/settings.js";
import { BbrStreamProcessor } from "../../src/bbr/pipeline/stream-processor.js";
import type { ResponseSink, StreamError } from "../../src/extproc/transport/stream.js";
import { type ProcessingRequestSchema, type ProcessingResponse, ProcessingRequestSchema as Schema } from "../../src/gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { testRegistry } from "../fixtures/plugins/test-plugins.js";

/** Recorded is what one processor did: its answers and how it ended. */
export interface Recorded {
  readonly responses: ProcessingResponse[];
  ended: "open" | "closed" | "failed";
  sentAfterEnd: boolean;
  failure?: StreamError;
}

/**
 * processorEnv builds a BBR environment from config YAML (default config when omitted), to drive
 * BbrStreamProcessor directly: the transport-free layer, for property tests that need thousands
 * of streams.
 */
export async function processorEnv(config = DEFAULT_CONFIG_YAML, streaming = true): Promise<BbrEnvironment> {
  const logger = silentLogger();
  const metrics = new BbrMetrics({ defaultMetrics: false });
  const loaded = await loadConfigText(config, DEFAULT_CONFIG_SOURCE, ".", { registry: testRegistry(), logger, metrics });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const settings = settingsFrom(loaded.value, defaultOptions({ streaming }), { metrics, logger });
  return { settings: () => settings, metrics, logger };
}

/** runProcessor feeds messages in order, as the transport does, and records everything. */
export async function runProcessor(
  env: BbrEnvironment,
  messages: readonly MessageInitShape<typeof ProcessingRequestSchema>[],
): Promise<{ recorded: Recorded; thrown: unknown[] }> {
  const recorded: Recorded = { responses: [], ended: "open", sentAfterEnd: false };
  const sink: ResponseSink = {
    send(r) {
      if (recorded.ended !== "open") recorded.sentAfterEnd = true;
      recorded.responses.push(r);
    },
    close() {
      if (recorded.ended === "open") recorded.ended = "closed";
    },
    fail(e) {
      if (recorded.ended === "open") {
        recorded.ended = "failed";
        recorded.failure = e;
      }
    },
  };
  const processor = new BbrStreamProcessor(env, sink);
  const thrown: unknown[] = [];
  for (const m of messages) {
    if (recorded.ended !== "open") break;
    try {
      await processor.onMessage(create(Schema, m));
    } catch (e) {
      thrown.push(e);
      break; // the transport fails the stream on a throw
    }
  }
  if (recorded.ended === "open" && thrown.length === 0) processor.onPeerEnd();
  return { recorded, thrown };
}
