import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  type ProcessingRequest,
  ProcessingRequestSchema,
  ProcessingResponseSchema,
} from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { MAX_QUEUED_MESSAGES } from "./service.js";
import { type ResponseSink, StreamError, type StreamHandler } from "./stream.js";
import { StreamDriver, type StreamWire } from "./stream-driver.js";

const NO_HEADERS = { get: () => undefined, keys: () => [] };

/** RecordingWire records what the driver asked the transport to do. */
class RecordingWire implements StreamWire {
  readonly events: string[] = [];
  write(): void {
    this.events.push("write");
  }
  end(): void {
    this.events.push("end");
  }
  endWithStatus(status: number, message: string): void {
    this.events.push(`status ${status} ${message}`);
  }
  pause(): void {
    this.events.push("pause");
  }
  resume(): void {
    this.events.push("resume");
  }
}

/** Gated is a handler whose every message waits until the test releases it. */
class Gated implements StreamHandler {
  readonly seen: string[] = [];
  private readonly waiting: (() => void)[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(readonly sink: ResponseSink) {}
  onMessage(message: ProcessingRequest): Promise<void> {
    this.seen.push(message.request.case ?? "none");
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.inFlight--;
        resolve();
      }),
    );
  }
  onPeerEnd(): void {
    this.seen.push("peer-end");
  }
  onCancel(): void {
    this.seen.push("cancel");
  }
  /** release lets the oldest waiting message finish, and waits for the driver to move on. */
  async release(): Promise<void> {
    this.waiting.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
}

const body = (text: string): ProcessingRequest =>
  create(ProcessingRequestSchema, {
    request: { case: "requestBody", value: { body: new TextEncoder().encode(text), endOfStream: false } },
  });

function start() {
  const wire = new RecordingWire();
  const observed: string[] = [];
  let handler: Gated | undefined;
  const driver = new StreamDriver(
    wire,
    {
      observe: () => ({ opened: () => observed.push("opened"), closed: () => observed.push("closed") }),
      createHandler: (sink) => {
        observed.push("created");
        handler = new Gated(sink);
        return handler;
      },
    },
    NO_HEADERS,
  );
  return { wire, observed, driver, handler: handler! };
}

describe("StreamDriver", () => {
  it("opens the observer before the handler exists, and delivers one message at a time, in order", async () => {
    const { observed, driver, handler } = start();
    expect(observed).toEqual(["opened", "created"]);
    driver.receive(body("a"));
    driver.receive(body("b"));
    driver.receive(body("c"));
    expect(handler.seen).toEqual(["requestBody"]);
    await handler.release();
    expect(handler.seen).toEqual(["requestBody", "requestBody"]);
    await handler.release();
    await handler.release();
    expect(handler.seen).toHaveLength(3);
    expect(handler.maxInFlight).toBe(1);
  });

  it(`pauses the wire at ${MAX_QUEUED_MESSAGES} queued messages and resumes once the queue is empty`, async () => {
    const { wire, driver, handler } = start();
    for (let i = 0; i <= MAX_QUEUED_MESSAGES; i++) driver.receive(body(String(i)));
    expect(wire.events).toEqual(["pause"]);
    for (let i = 0; i < MAX_QUEUED_MESSAGES; i++) await handler.release();
    expect(wire.events).toEqual(["pause", "resume"]);
    expect(handler.seen).toHaveLength(MAX_QUEUED_MESSAGES + 1);
  });

  it("tells the handler about the half-close once, after the last queued message", async () => {
    const { driver, handler } = start();
    driver.receive(body("a"));
    driver.receive(body("b"));
    driver.peerEnd();
    expect(handler.seen).toEqual(["requestBody"]);
    await handler.release();
    expect(handler.seen).toEqual(["requestBody", "requestBody"]);
    await handler.release();
    expect(handler.seen).toEqual(["requestBody", "requestBody", "peer-end"]);
    driver.peerEnd();
    expect(handler.seen.filter((s) => s === "peer-end")).toHaveLength(1);
  });

  it("cancels exactly once, drops the queue, and delivers nothing after", async () => {
    const { observed, driver, handler } = start();
    driver.receive(body("a"));
    driver.receive(body("b"));
    driver.cancel();
    driver.cancel();
    driver.receive(body("c"));
    await handler.release();
    driver.peerEnd();
    expect(handler.seen).toEqual(["requestBody", "cancel"]);
    expect(observed).toEqual(["opened", "created", "closed"]);
  });

  it.each([
    { name: "close", end: (s: ResponseSink) => s.close(), want: "end" },
    {
      name: "fail",
      end: (s: ResponseSink) => s.fail(new StreamError("FailedPrecondition", "needs FULL_DUPLEX_STREAMED")),
      want: "status 9 needs FULL_DUPLEX_STREAMED",
    },
  ])("ends the wire once on $name, writes nothing after, and a later cancel is not the handler's", ({ end, want }) => {
    const { wire, observed, driver, handler } = start();
    handler.sink.send(create(ProcessingResponseSchema, {}));
    end(handler.sink);
    handler.sink.send(create(ProcessingResponseSchema, {}));
    handler.sink.close();
    driver.cancel();
    expect(wire.events).toEqual(["write", want]);
    expect(handler.seen).toEqual([]);
    expect(observed).toEqual(["opened", "created", "closed"]);
    expect(driver.isFinished).toBe(true);
  });

  it.each([
    {
      name: "a thrown StreamError keeps its code",
      error: new StreamError("InvalidArgument", "bad"),
      want: "status 3 bad",
    },
    { name: "anything else is Internal", error: new Error("boom"), want: "status 13 processing failed: boom" },
  ])("fails the stream when the handler throws: $name", ({ error, want }) => {
    const wire = new RecordingWire();
    const driver = new StreamDriver(
      wire,
      {
        createHandler: () => ({
          onMessage: () => {
            throw error;
          },
          onPeerEnd: () => {},
          onCancel: () => {},
        }),
      },
      NO_HEADERS,
    );
    driver.receive(body("a"));
    expect(wire.events).toEqual([want]);
  });

  it("fails the stream when a returned promise rejects, and resumes a paused wire so it can close", async () => {
    const wire = new RecordingWire();
    let reject: (e: unknown) => void = () => {};
    const driver = new StreamDriver(
      wire,
      {
        createHandler: () => ({
          onMessage: () =>
            new Promise<void>((_, r) => {
              reject = r;
            }),
          onPeerEnd: () => {},
          onCancel: () => {},
        }),
      },
      NO_HEADERS,
    );
    for (let i = 0; i <= MAX_QUEUED_MESSAGES; i++) driver.receive(body(String(i)));
    reject(new StreamError("ResourceExhausted", "too much"));
    await new Promise((r) => setImmediate(r));
    expect(wire.events).toEqual(["pause", "resume", "status 8 too much"]);
  });

  it("closes the observer when the handler cannot be created", () => {
    const observed: string[] = [];
    expect(
      () =>
        new StreamDriver(
          new RecordingWire(),
          {
            observe: () => ({ opened: () => observed.push("opened"), closed: () => observed.push("closed") }),
            createHandler: () => {
              throw new Error("no handler");
            },
          },
          NO_HEADERS,
        ),
    ).toThrow("no handler");
    expect(observed).toEqual(["opened", "closed"]);
  });
});
