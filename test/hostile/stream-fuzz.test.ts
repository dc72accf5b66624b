import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StreamError } from "../../src/extproc/transport/stream.js";
import { processorEnv, runProcessor } from "../support/processor-harness.js";
import { requestBody, requestHeaders, requestTrailers, responseBody, responseHeaders, responseTrailers, summarize } from "../support/messages.js";

// CI runs a fixed number of cases; `npm run fuzz` raises it (FUZZ_RUNS).
const RUNS = Number(process.env["FUZZ_RUNS"] ?? 300);
const SEED = process.env["FUZZ_SEED"] === undefined ? 20261122 : Number(process.env["FUZZ_SEED"]);

const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string({ unit: "binary" }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 }),
  ),
})).value;

const body = fc.oneof(
  // Mostly valid JSON objects with a model.
  fc.record({ model: fc.oneof(fc.string({ unit: "grapheme", maxLength: 20 }), jsonValue), extra: fc.dictionary(fc.string(), jsonValue, { maxKeys: 3 }) }).map(({ model, extra }) =>
    JSON.stringify({ ...extra, model }),
  ),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("latin1")),
);

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    pieces.push(bytes.subarray(last, p));
    last = p;
  }
  pieces.push(bytes.subarray(last));
  return pieces;
}

describe("stream processor properties", () => {
  it("any chunking of any body gives the same answers as one chunk", async () => {
    const env = await processorEnv();
    await fc.assert(
      fc.asyncProperty(body, fc.array(fc.nat(), { maxLength: 6 }), async (text, cuts) => {
        const bytes = new TextEncoder().encode(text);
        const headers = requestHeaders({ ":method": "POST", "content-type": "application/json", "x-gateway-model-name": "spoof" });
        const one = await runProcessor(env, [headers, requestBody(bytes, true)]);
        const pieces = splitAt(bytes, cuts);
        const many = await runProcessor(env, [headers, ...pieces.map((p, i) => requestBody(p, i === pieces.length - 1))]);
        expect(many.thrown).toEqual(one.thrown);
        expect(many.recorded.responses.map(summarize)).toEqual(one.recorded.responses.map(summarize));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  const message = fc.oneof(
    fc.record({ eos: fc.boolean() }).map(({ eos }) => requestHeaders({ ":method": "POST", "content-type": "application/json" }, eos)),
    fc.tuple(body, fc.boolean()).map(([b, eos]) => requestBody(b, eos)),
    fc.constant(requestTrailers()),
    fc.boolean().map((eos) => responseHeaders({ ":status": "200", "content-type": "application/json" }, eos)),
    fc.tuple(body, fc.boolean()).map(([b, eos]) => responseBody(b, eos)),
    fc.constant(responseTrailers()),
    fc.constant({}),
  );

  it("random message sequences never crash and always end in a valid protocol state", async () => {
    const configs = [
      await processorEnv(undefined, true),
      await processorEnv(undefined, false),
      await processorEnv(`
plugins:
  - type: body-field-to-header
    parameters: {fieldName: model, headerName: X-Gateway-Model-Name}
  - type: test-response-body
    parameters: {field: checked, value: true}
`),
    ];
    await fc.assert(
      fc.asyncProperty(fc.nat(configs.length - 1), fc.array(message, { maxLength: 12 }), async (which, messages) => {
        const { recorded, thrown } = await runProcessor(configs[which]!, messages);
        // Only protocol misuse may fail a stream, and it does so with a StreamError.
        for (const e of thrown) expect(e).toBeInstanceOf(StreamError);
        expect(recorded.sentAfterEnd).toBe(false);
        const kinds = recorded.responses.map((r) => summarize(r).kind);
        // An immediate response is always the last answer, and ends the stream cleanly.
        const immediate = kinds.indexOf("immediate");
        if (immediate >= 0) {
          expect(immediate).toBe(kinds.length - 1);
          expect(recorded.ended).toBe("closed");
        }
        // Answers keep the direction order: request answers before response answers.
        const firstResponse = kinds.findIndex((k) => k.startsWith("response"));
        if (firstResponse >= 0) expect(kinds.slice(firstResponse).some((k) => k.startsWith("request"))).toBe(false);
        // At most one headers answer per direction, and at most one end_of_stream body per direction.
        for (const dir of ["request", "response"] as const) {
          expect(kinds.filter((k) => k === `${dir}Headers`).length).toBeLessThanOrEqual(1);
          const eos = recorded.responses
            .map(summarize)
            .filter((s) => s.kind === `${dir}Body` && "common" in s && s.common?.streamed?.eos === true);
          expect(eos.length).toBeLessThanOrEqual(1);
        }
        // A stream not failed by misuse ends cleanly once Envoy half-closes.
        if (thrown.length === 0) expect(recorded.ended).toBe("closed");
      }),
      { numRuns: RUNS * 3, seed: SEED },
    );
  });
});
