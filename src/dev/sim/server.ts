import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../../common/logger.js";
import { SimEngine } from "./engine.js";
import { SimMetrics } from "./metrics.js";
import {
  type ApiError,
  type ApiKind,
  apiErrorBody,
  completionBody,
  type GenerationRequest,
  parseGenerationRequest,
  SSE_DONE,
  streamChunk,
  usageOf,
} from "./openai.js";
import type { SimOptions } from "./options.js";
import { outputText, outputToken, promptBlockHashes, tokenCount } from "./tokens.js";

/** Response headers naming the instance, as llm-d-inference-sim sets them. */
export const POD_HEADER = "x-inference-pod";
export const PORT_HEADER = "x-inference-port";
/** Debug headers: what the simulator received, so tests can check a body arrived intact. */
export const REQUEST_BYTES_HEADER = "x-sim-request-bytes";
export const REQUEST_SHA256_HEADER = "x-sim-request-sha256";

/**
 * SimInstance is one simulated vLLM server: OpenAI endpoints, /health and /metrics over its own
 * engine (its own queue and KV cache).
 */
export class SimInstance {
  readonly engine: SimEngine;
  readonly metrics: SimMetrics;
  private server: Server | undefined;
  private boundPort = 0;
  private name = "";

  constructor(
    readonly options: SimOptions,
    private readonly logger: Logger,
    private readonly requestedName?: string,
  ) {
    this.engine = new SimEngine(options.engine);
    this.metrics = new SimMetrics(this.engine, options.model, options.engine.maxLoras);
  }

  /** instanceName is the x-inference-pod value. */
  get instanceName(): string {
    return this.name;
  }

  get port(): number {
    return this.boundPort;
  }

  async start(port: number): Promise<number> {
    const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, this.options.bindAddress, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.name = this.requestedName ?? `${this.options.model}-${this.boundPort}`;
    return this.boundPort;
  }

  async stop(): Promise<void> {
    this.engine.close();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private commonHeaders(): Record<string, string> {
    return { [POD_HEADER]: this.name, [PORT_HEADER]: String(this.boundPort) };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?", 1)[0];
    const route = `${req.method} ${path}`;
    switch (route) {
      case "POST /v1/chat/completions":
        this.readBody(req, res, (body) => this.generate("chat", req, res, body));
        return;
      case "POST /v1/completions":
        this.readBody(req, res, (body) => this.generate("completions", req, res, body));
        return;
      case "GET /v1/models":
        this.sendJson(res, 200, this.modelList());
        return;
      case "GET /health":
        res.writeHead(200, this.commonHeaders()).end();
        return;
      case "GET /metrics":
        this.metrics.registry.metrics().then(
          (text) =>
            res
              .writeHead(200, { "content-type": this.metrics.registry.contentType, ...this.commonHeaders() })
              .end(text),
          (e: unknown) => this.sendError(res, { status: 500, type: "InternalServerError", message: String(e) }),
        );
        return;
      default:
        req.resume();
        this.sendError(res, { status: 404, type: "NotFoundError", message: `no route for ${route}` });
    }
  }

  private modelList(): string {
    const created = Math.floor(Date.now() / 1000);
    const entry = (id: string, parent: string | null) => ({
      id,
      object: "model",
      created,
      owned_by: "vllm",
      root: parent ?? id,
      parent,
      max_model_len: this.options.maxModelLen,
    });
    const data = [
      entry(this.options.model, null),
      ...this.options.loraModules.map((a) => entry(a, this.options.model)),
    ];
    return JSON.stringify({ object: "list", data });
  }

  /** readBody collects the body up to --max-body-bytes (413 beyond, without reading on). */
  private readBody(req: IncomingMessage, res: ServerResponse, then: (body: Buffer) => void): void {
    const limit = this.options.maxBodyBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        res.setHeader("connection", "close");
        this.sendError(res, { status: 413, type: "BadRequestError", message: `request body exceeds ${limit} bytes` });
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!refused) then(Buffer.concat(chunks, size));
    });
    req.on("error", () => {
      /* client went away; nothing to answer */
    });
  }

  private generate(kind: ApiKind, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch (e) {
      this.sendError(res, {
        status: 400,
        type: "BadRequestError",
        message: `invalid JSON body: ${(e as Error).message}`,
      });
      return;
    }
    const parsed = parseGenerationRequest(kind, json);
    if (!parsed.ok) {
      this.sendError(res, parsed.error);
      return;
    }
    const request = parsed.value;
    const adapter = request.model === this.options.model ? undefined : request.model;
    if (adapter !== undefined && !this.options.loraModules.includes(adapter)) {
      this.sendError(res, {
        status: 404,
        type: "NotFoundError",
        message: `The model \`${request.model}\` does not exist.`,
        param: "model",
      });
      return;
    }
    const promptTokens = tokenCount(request.prompt);
    const outputTokens = request.maxTokens ?? this.options.defaultMaxTokens;
    const total = promptTokens + outputTokens;
    if (
      total > this.options.maxModelLen ||
      this.engine.blocksFor(promptTokens, outputTokens) > this.options.engine.kvBlocks
    ) {
      const limit = Math.min(this.options.maxModelLen, this.options.engine.kvBlocks * this.options.engine.blockSize);
      this.sendError(res, {
        status: 400,
        type: "BadRequestError",
        message:
          `This model's maximum context length is ${limit} tokens. However, you requested ${total} tokens ` +
          `(${promptTokens} in the messages, ${outputTokens} in the completion). Please reduce the length of the messages or completion.`,
      });
      return;
    }
    const headers = {
      ...this.commonHeaders(),
      [REQUEST_BYTES_HEADER]: String(body.length),
      [REQUEST_SHA256_HEADER]: createHash("sha256").update(body).digest("hex"),
      ...(typeof req.headers["x-request-id"] === "string" ? { "x-request-id": req.headers["x-request-id"] } : {}),
    };
    this.run(kind, request, promptTokens, outputTokens, headers, res);
  }

  private run(
    kind: ApiKind,
    request: GenerationRequest,
    promptTokens: number,
    outputTokens: number,
    headers: Record<string, string>,
    res: ServerResponse,
  ): void {
    const ids = {
      id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID()}`,
      created: Math.floor(Date.now() / 1000),
      model: request.model,
    };
    // Stopping on our own (no max_tokens) reads as "stop"; hitting the client's limit as "length".
    const finishReason = request.maxTokens === undefined ? "stop" : "length";
    const labels = { model_name: this.options.model };
    const m = this.metrics;
    if (request.stream) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers });
      res.flushHeaders();
    }
    const started = performance.now();
    const handle = this.engine.submit(
      {
        adapter: request.model === this.options.model ? undefined : request.model,
        promptTokens,
        blockHashes: promptBlockHashes(request.prompt, this.options.engine.blockSize),
        outputTokens,
      },
      {
        onToken: (index) => {
          if (!request.stream) return;
          const last = index === outputTokens - 1;
          if (!last) res.write(streamChunk(kind, ids, outputToken(index), { first: index === 0 }));
        },
        onDone: ({ cachedTokens, queuedMs, firstTokenMs }) => {
          const usage = usageOf(promptTokens, outputTokens, cachedTokens);
          m.promptTokens.inc(labels, promptTokens);
          m.generationTokens.inc(labels, outputTokens);
          m.requestSuccess.inc({ ...labels, finished_reason: finishReason });
          m.queueTime.observe(labels, queuedMs / 1000);
          m.ttft.observe(labels, firstTokenMs / 1000);
          m.e2e.observe(labels, (performance.now() - started) / 1000 / (this.options.engine.timeScale || 1));
          if (request.stream) {
            const lastToken = outputToken(outputTokens - 1);
            res.write(streamChunk(kind, ids, lastToken, { first: outputTokens === 1, finishReason, usage }));
            res.end(SSE_DONE);
          } else {
            this.sendJson(res, 200, completionBody(kind, ids, outputText(outputTokens), finishReason, usage), headers);
          }
        },
      },
    );
    res.on("close", () => {
      if (!res.writableFinished) {
        handle.cancel();
        this.logger.debug({ instance: this.name }, "client went away; sequence aborted");
      }
    });
  }

  private sendJson(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
    if (res.headersSent) return;
    res
      .writeHead(status, {
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
        ...this.commonHeaders(),
        ...extra,
      })
      .end(body);
  }

  private sendError(res: ServerResponse, e: ApiError): void {
    this.sendJson(res, e.status, apiErrorBody(e));
  }
}
