/**
 * RequestErrorCode is the closed set of request outcomes a plugin or the framework may report.
 * Each maps to one HTTP status in HTTP_STATUS_BY_CODE; nothing else picks statuses.
 */
export type RequestErrorCode =
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "PayloadTooLarge"
  | "ResourceExhausted"
  | "Internal"
  | "ServiceUnavailable";

/** HTTP_STATUS_BY_CODE is the single mapping from request error codes to HTTP statuses. */
export const HTTP_STATUS_BY_CODE: Readonly<Record<RequestErrorCode, number>> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  PayloadTooLarge: 413,
  ResourceExhausted: 429,
  Internal: 500,
  ServiceUnavailable: 503,
};

/** OPENAI_ERROR_TYPE_BY_CODE gives the `error.type` OpenAI-compatible clients expect. */
export const OPENAI_ERROR_TYPE_BY_CODE: Readonly<Record<RequestErrorCode, string>> = {
  BadRequest: "invalid_request_error",
  Unauthorized: "authentication_error",
  Forbidden: "permission_error",
  NotFound: "not_found_error",
  PayloadTooLarge: "invalid_request_error",
  ResourceExhausted: "rate_limit_error",
  Internal: "server_error",
  ServiceUnavailable: "server_error",
};

/** RequestErrorOptions are the optional parts of a RequestError. */
export interface RequestErrorOptions {
  /** Machine-readable reason in snake_case, sent as `error.code` (e.g. "invalid_json"). */
  readonly reason?: string;
  /** Extra response headers for the client. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/**
 * RequestError is a request outcome that becomes an HTTP error response (an ext_proc
 * ImmediateResponse). Plugins return or throw it to reject a request with a chosen status.
 */
export class RequestError extends Error {
  override readonly name = "RequestError" as const;
  readonly reason: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: RequestErrorCode,
    message: string,
    options: RequestErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options.reason ?? defaultReason(code);
    this.headers = options.headers ?? {};
  }

  /** httpStatus is the HTTP status this error is answered with. */
  get httpStatus(): number {
    return HTTP_STATUS_BY_CODE[this.code];
  }
}

/** isRequestError tells whether a thrown value is a RequestError (also across module copies). */
export function isRequestError(e: unknown): e is RequestError {
  return e instanceof Error && e.name === "RequestError" && "code" in e && (e as RequestError).code in HTTP_STATUS_BY_CODE;
}

function defaultReason(code: RequestErrorCode): string {
  return code.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/** openAiErrorBody renders the OpenAI-shaped JSON error body for a request error. */
export function openAiErrorBody(error: RequestError): string {
  return JSON.stringify({
    error: { message: error.message, type: OPENAI_ERROR_TYPE_BY_CODE[error.code], code: error.reason },
  });
}

const encoder = new TextEncoder();

/**
 * openAiErrorAnswer is the HTTP answer for a request error: a JSON content type, the error's
 * extra headers and the OpenAI-shaped body. Both products answer their errors with it.
 */
export function openAiErrorAnswer(error: RequestError): {
  readonly headers: readonly { readonly key: string; readonly value: string }[];
  readonly body: Uint8Array;
} {
  const headers = [{ key: "content-type", value: "application/json" }];
  for (const [key, value] of Object.entries(error.headers)) headers.push({ key, value });
  return { headers, body: encoder.encode(openAiErrorBody(error)) };
}
