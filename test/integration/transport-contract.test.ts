import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/common/logger.js";
import {
  type CallHeaders,
  type ResponseSink,
  StreamError,
  type StreamHandler,
} from "../../src/extproc/transport/stream.js";
import { openTransport } from "../../src/extproc/transport/open.js";
import { type ExtProcTransport, TRANSPORT_KINDS, type TransportKind } from "../../src/extproc/transport/transport.js";
import {
  type ProcessingRequest,
  ProcessingResponseSchema,
} from "../../src/gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { ExtProcTestClient, type StreamEnd } from "../support/ext-proc-client.js";
import { requestBody, requestHeaders } from "../support/messages.js";

// The transport contract, table-driven over every transport: what StreamHandler is promised
// (see StreamDriver) must hold on the wire, whichever library serves it. The grpc-js test
// client plays Envoy.

const LIMIT = 64 * 1024;
const decoder = new TextDecoder();

/** Scripted is a handler that records what it hears and answers as its script says. */
class Scripted implements StreamHandler {
  readonly heard: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly held: (() => void)[] = [];
  constructor(
    readonly sink: ResponseSink,
    readonly headers: CallHeaders,
    private readonly script: Script,
  ) {}

  async onMessage(message: ProcessingRequest): Promise<void> {
    const text = message.request.case === "requestBody" ? decoder.decode(message.request.value.body) : "";
    this.heard.push(`${message.request.case}${text ? ` ${text}` : ""}`);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.script.hold) await new Promise<void>((resolve) => this.held.push(resolve));
      else await new Promise((resolve) => setImmediate(resolve));
      this.script.onMessage?.(this, message, text);
    } finally {
      this.inFlight--;
    }
  }
  onPeerEnd(): void {
    this.heard.push("peer-end");
    this.sink.close();
  }
  onCancel(): void {
    this.heard.push("cancel");
  }
  /** releaseAll lets every held message finish and stops holding new ones. */
  releaseAll(): void {
    this.script.hold = false;
    for (const r of this.held.splice(0)) r();
  }
}

interface Script {
  hold?: boolean;
  onMessage?: (h: Scripted, message: ProcessingRequest, text: string) => void;
}

const echo: NonNullable<Script["onMessage"]> = (h, message) => {
  if (message.request.case !== "requestBody") return;
  h.sink.send(
    create(ProcessingResponseSchema, {
      response: {
        case: "requestBody",
        value: {
          response: {
            bodyMutation: {
              mutation: { case: "streamedResponse", value: { body: message.request.value.body, endOfStream: false } },
            },
          },
        },
      },
    }),
  );
};

interface Served {
  readonly transport: ExtProcTransport;
  readonly client: ExtProcTestClient;
  readonly handlers: Scripted[];
  readonly closed: () => number;
}

const running: { transport: ExtProcTransport; client: ExtProcTestClient }[] = [];
afterEach(async () => {
  for (const { transport, client } of running.splice(0)) {
    client.close();
    await transport.forceClose();
  }
});

async function serve(
  kind: TransportKind,
  script: Script = { onMessage: echo },
  sendLimit = 2 * LIMIT,
): Promise<Served> {
  const handlers: Scripted[] = [];
  let closed = 0;
  const transport = await openTransport(kind, {
    name: "contract",
    limits: { maxReceiveMessageBytes: LIMIT, maxSendMessageBytes: sendLimit },
    tls: undefined,
    logger: silentLogger(),
    service: {
      observe: () => ({ opened: () => {}, closed: () => closed++ }),
      createHandler: (sink, headers) => {
        const h = new Scripted(sink, headers, { ...script });
        handlers.push(h);
        return h;
      },
    },
  });
  const port = await transport.listen("127.0.0.1", 0);
  const client = new ExtProcTestClient(port);
  running.push({ transport, client });
  return { transport, client, handlers, closed: () => closed };
}

const until = (condition: () => boolean) => expect.poll(condition, { timeout: 3000 }).toBe(true);
const bodies = (n: number) => Array.from({ length: n }, (_, i) => `chunk-${i}`);

describe.each(TRANSPORT_KINDS)("the %s transport", (kind) => {
  it("delivers messages in order, one at a time, and ends OK after the peer's half-close", async () => {
    const { client, handlers, closed } = await serve(kind);
    const stream = client.open();
    stream.send(requestHeaders({ ":method": "POST" }));
    for (const text of bodies(20)) stream.send(requestBody(text, false));
    const { responses, end } = await stream.finish();
    expect(end).toEqual({ code: grpc.status.OK, details: "OK" });
    expect(
      responses
        .map((r) =>
          r.response.case === "requestBody" ? r.response.value.response?.bodyMutation?.mutation.value : undefined,
        )
        .map((v) => decoder.decode((v as { body: Uint8Array }).body)),
    ).toEqual(bodies(20));
    const [h] = handlers;
    expect(h!.heard).toEqual(["requestHeaders", ...bodies(20).map((b) => `requestBody ${b}`), "peer-end"]);
    expect(h!.maxInFlight).toBe(1);
    expect(closed()).toBe(1);
  });

  it("delivers a flood behind a slow handler in full and in order once it catches up (bounded queue, back-pressure)", async () => {
    const { client, handlers } = await serve(kind, { hold: true, onMessage: echo });
    const stream = client.open();
    const flood = bodies(500).map((b) => b.padEnd(2000, "."));
    for (const text of flood) stream.send(requestBody(text, false));
    await until(() => handlers[0]?.heard.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(handlers[0]!.heard).toHaveLength(1);
    handlers[0]!.releaseAll();
    const { responses, end } = await stream.finish();
    expect(end.code).toBe(grpc.status.OK);
    expect(responses).toHaveLength(500);
    expect(handlers[0]!.heard.slice(0, -1)).toEqual(flood.map((b) => `requestBody ${b}`));
  });

  it.each([
    {
      name: "a StreamError ends with its status and message",
      error: new StreamError("FailedPrecondition", "needs FULL_DUPLEX_STREAMED"),
      want: { code: grpc.status.FAILED_PRECONDITION, details: "needs FULL_DUPLEX_STREAMED" },
    },
    {
      name: "a thrown error ends Internal",
      error: new Error("boom"),
      want: { code: grpc.status.INTERNAL, details: "processing failed: boom" },
    },
  ])("$name", async ({ error, want }) => {
    const { client, handlers, closed } = await serve(kind, {
      onMessage: (h) => {
        if (error instanceof StreamError) h.sink.fail(error);
        else throw error;
      },
    });
    const stream = client.open();
    stream.send(requestHeaders({ ":method": "POST" }));
    expect(await stream.end()).toEqual(want);
    expect(handlers[0]!.heard).toEqual(["requestHeaders"]);
    expect(closed()).toBe(1);
  });

  it("hands the call's metadata to the handler factory as CallHeaders", async () => {
    const { client, handlers } = await serve(kind);
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const stream = client.open({ metadata: { traceparent, "x-test": "yes" } });
    stream.send(requestHeaders({ ":method": "POST" }));
    await stream.finish();
    const headers = handlers[0]!.headers;
    expect([headers.get("traceparent"), headers.get("x-test"), headers.get("absent")]).toEqual([
      traceparent,
      "yes",
      undefined,
    ]);
    expect(headers.keys()).toEqual(expect.arrayContaining(["traceparent", "x-test"]));
  });

  it("tells the handler about a cancel exactly once and delivers nothing after it", async () => {
    const { client, handlers, closed } = await serve(kind, { hold: true, onMessage: echo });
    const stream = client.open();
    stream.send(requestBody("a", false)).send(requestBody("b", false));
    await until(() => handlers[0]?.heard.length === 1);
    stream.cancel();
    await until(() => handlers[0]!.heard.includes("cancel"));
    handlers[0]!.releaseAll();
    await new Promise((r) => setTimeout(r, 50));
    expect(handlers[0]!.heard).toEqual(["requestBody a", "cancel"]);
    expect(closed()).toBe(1);
  });

  it("cancels the handler when the call's deadline passes, and the peer sees DEADLINE_EXCEEDED", async () => {
    const { client, handlers } = await serve(kind, { hold: true });
    const stream = client.open({ deadlineMs: 150 });
    stream.send(requestBody("a", false));
    expect((await stream.end()).code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await until(() => handlers[0]?.heard.includes("cancel") === true);
    expect(handlers[0]!.heard).toEqual(["requestBody a", "cancel"]);
  });

  it("refuses a message over the receive limit with RESOURCE_EXHAUSTED and cancels the handler", async () => {
    const { client, handlers } = await serve(kind);
    const stream = client.open();
    stream.send(requestBody("x".repeat(LIMIT / 2), false));
    await stream.waitFor(1);
    stream.send(requestBody("x".repeat(LIMIT + 1), false));
    expect((await stream.end()).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    await until(() => handlers[0]?.heard.includes("cancel") === true);
  });

  it("refuses a response over the send limit with RESOURCE_EXHAUSTED", async () => {
    const { client } = await serve(kind, { onMessage: echo }, 1024);
    const stream = client.open();
    stream.send(requestBody("x".repeat(2048), false));
    expect((await stream.end()).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it("drains: an open stream finishes, a new stream is refused UNAVAILABLE, then it reports drained", async () => {
    const { transport, client, handlers } = await serve(kind, { hold: true, onMessage: echo });
    const open = client.open();
    open.send(requestBody("before", false));
    await until(() => handlers.length === 1);
    const drained = transport.drain(5000);
    await new Promise((r) => setTimeout(r, 50));
    const late = client.open();
    late.send(requestBody("late", false));
    expect((await late.end()).code).toBe(grpc.status.UNAVAILABLE);
    handlers[0]!.releaseAll();
    const { responses, end } = await open.finish();
    expect([responses.length, end.code]).toEqual([1, grpc.status.OK]);
    expect(await drained).toBe("drained");
    expect(handlers).toHaveLength(1);
  });

  it("reports a drain timeout, and forceClose cancels what is still open", async () => {
    const { transport, client, handlers } = await serve(kind, { hold: true });
    const open = client.open();
    open.send(requestBody("stuck", false));
    await until(() => handlers.length === 1);
    expect(await transport.drain(100)).toBe("timeout");
    await transport.forceClose();
    const end: StreamEnd = await open.end();
    expect(end.code).not.toBe(grpc.status.OK);
    await until(() => handlers[0]!.heard.includes("cancel"));
  });
});

describe("both transports", () => {
  it("answer a message that is not a ProcessingRequest with the same status", async () => {
    const codes: number[] = [];
    for (const kind of TRANSPORT_KINDS) {
      const { client } = await serve(kind);
      const call = client.openRaw();
      const status = new Promise<number>((resolve) => call.on("status", (s: grpc.StatusObject) => resolve(s.code)));
      call.on("error", () => {});
      call.on("data", () => {});
      call.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
      codes.push(await status);
    }
    expect(codes[0]).not.toBe(grpc.status.OK);
    expect(codes).toEqual(codes.map(() => codes[0]));
  });
});
