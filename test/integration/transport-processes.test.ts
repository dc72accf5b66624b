import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { type MessageInitShape, toJson } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRANSPORT_KINDS, type TransportKind } from "../../src/extproc/transport/transport.js";
import { ProcessingMode_BodySendMode as BodySendMode } from "../../src/gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode_pb.js";
import {
  type ProcessingRequestSchema,
  ProcessingResponseSchema,
} from "../../src/gen/envoy/service/ext_proc/v3/external_processor_pb.js";
import { writeConfig } from "../support/bbr-test-server.js";
import { ExtProcTestClient, type StreamEnd } from "../support/ext-proc-client.js";
import {
  requestBody,
  requestHeaders,
  requestTrailers,
  responseBody,
  responseHeaders,
  type Summary,
  summarize,
} from "../support/messages.js";
import { type ServerBinary, type ServerProcess, startServerProcess } from "../support/server-process.js";

// `bbr --transport connect` and `epp --transport connect`, spawned from bin/ (the built dist),
// driven by a plain grpc-js client, answer every exchange exactly as the default transport does:
// the same responses (compared as protobuf JSON, every field) and the same end status.

const MAX_BODY = 256;
const POST = { ":method": "POST", ":path": "/v1/chat/completions", "content-type": "application/json" };
const BODY = `{"model":"llama","messages":[{"role":"user","content":"hi"}]}`;
const BUFFERED = {
  protocolConfig: { requestBodyMode: BodySendMode.BUFFERED, responseBodyMode: BodySendMode.BUFFERED },
};

type Message = MessageInitShape<typeof ProcessingRequestSchema>;

interface Exchange {
  readonly name: string;
  readonly messages: readonly Message[];
  /** answers is how many responses to wait for before half-closing. */
  readonly answers: number;
  /** check holds for the default transport's result, so two identical wrong answers cannot pass. */
  readonly check: (r: ExchangeResult) => void;
}

interface ExchangeResult {
  readonly responses: unknown[];
  readonly summaries: Summary[];
  readonly end: StreamEnd;
}

const endsOk = (r: ExchangeResult) => expect(r.end.code).toBe(0);

const EXCHANGES: readonly Exchange[] = [
  {
    name: "FULL_DUPLEX_STREAMED, body in two chunks, then the response",
    messages: [
      requestHeaders(POST),
      requestBody(BODY.slice(0, 20), false),
      requestBody(BODY.slice(20), true),
      responseHeaders({ ":status": "200", "content-type": "application/json" }),
      responseBody(`{"usage":{"prompt_tokens":3}}`, true),
    ],
    answers: 4,
    check: (r) => {
      endsOk(r);
      expect(r.summaries.map((s) => s.kind)).toEqual([
        "requestHeaders",
        "requestBody",
        "responseHeaders",
        "responseBody",
      ]);
    },
  },
  {
    name: "BUFFERED (protocol_config), the whole body in one message",
    messages: [requestHeaders(POST, false, BUFFERED), requestBody(BODY, true)],
    answers: 2,
    check: endsOk,
  },
  {
    name: "request trailers end a streamed body",
    messages: [requestHeaders(POST), requestBody(BODY, false), requestTrailers({ "x-trailer": "t" })],
    answers: 3,
    check: (r) => {
      endsOk(r);
      expect(r.summaries.map((s) => s.kind)).toEqual(["requestHeaders", "requestBody", "requestTrailers"]);
    },
  },
  {
    name: "a body over --max-body-bytes is answered 413",
    messages: [requestHeaders(POST), requestBody(`{"model":"${"x".repeat(MAX_BODY)}"}`, true)],
    answers: 1,
    check: (r) => {
      endsOk(r);
      expect(r.summaries[0]).toMatchObject({ kind: "immediate", status: 413 });
    },
  },
  {
    name: "a protocol violation (request headers twice) fails the stream",
    messages: [requestHeaders(POST), requestHeaders(POST)],
    answers: 0,
    check: (r) => expect(r.end.code).toBe(3),
  },
];

/** exchange runs one exchange and returns every response as protobuf JSON, plus how the stream ended. */
async function exchange(port: number, e: Exchange): Promise<ExchangeResult> {
  const client = new ExtProcTestClient(port);
  const stream = client.open();
  try {
    for (const m of e.messages) stream.send(m);
    if (e.answers > 0) await stream.waitFor(e.answers);
    const { responses, end } = await stream.finish();
    return {
      responses: responses.map((r) => toJson(ProcessingResponseSchema, r)),
      summaries: responses.map(summarize),
      end,
    };
  } finally {
    stream.cancel();
    client.close();
  }
}

const BINARIES: readonly { binary: ServerBinary; args: () => string[] }[] = [
  { binary: "bbr", args: () => ["--max-body-bytes", String(MAX_BODY)] },
  {
    binary: "epp",
    args: () => [
      "--max-body-bytes",
      String(MAX_BODY),
      "--endpoints-file",
      writeConfig("endpoints:\n- {address: 10.3.0.1, port: 8000}\n", "endpoints.yaml"),
    ],
  },
];

describe.each(BINARIES)("$binary --transport", ({ binary, args }) => {
  const servers = new Map<TransportKind, ServerProcess>();
  beforeAll(async () => {
    const started = await Promise.all(
      TRANSPORT_KINDS.map((kind) =>
        startServerProcess(binary, ["--transport", kind, "--drain-timeout", "2", ...args()]),
      ),
    );
    for (const [i, kind] of TRANSPORT_KINDS.entries()) servers.set(kind, started[i]!);
  });
  afterAll(async () => {
    const codes = await Promise.all([...servers.values()].map((s) => s.stop()));
    expect(codes).toEqual(codes.map(() => 0));
  });

  it("logs the transport it serves on", () => {
    for (const kind of TRANSPORT_KINDS) expect(servers.get(kind)!.serving["transport"]).toBe(kind);
  });

  it.each(EXCHANGES)("connect answers as grpc does: $name", async (e) => {
    const [grpc, connect] = await Promise.all(
      TRANSPORT_KINDS.map((kind) => exchange(servers.get(kind)!.ports.grpc, e)),
    );
    e.check(grpc!);
    expect(grpc!.responses).toHaveLength(e.answers);
    expect(connect).toEqual(grpc);
  });
});

// bbr's --help and refusal are in cli.test.ts; epp's are here, with the other transport checks.
describe("epp --transport on the command line", () => {
  const EPP = join(import.meta.dirname, "../../bin/epp.js");
  const run = (argv: string[]) => spawnSync(process.execPath, [EPP, ...argv], { encoding: "utf8", timeout: 20_000 });

  it("is listed in --help with its choices and default", () => {
    const help = run(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--transport VALUE +ext_proc server library: grpc or connect .*\(default grpc\)/);
  });

  it("refuses an unknown transport, naming the flag, the value and the choices", () => {
    const bad = run(["--transport", "h3"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('epp: --transport: "h3" is not a transport (choose grpc or connect)');
  });
});
