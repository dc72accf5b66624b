import busboy from "busboy";
import { err, ok, type Result } from "../../../common/result.js";

/** MultipartLimits bound what reading a form may cost. */
export interface MultipartLimits {
  /** Largest value of the wanted field, in bytes. */
  readonly maxFieldBytes: number;
  /** Most parts (fields and files) a form may have. */
  readonly maxParts: number;
}

/**
 * readMultipartField finds one text field of a multipart/form-data body. File parts are
 * drained as they are parsed (their bytes are never collected or decoded), so a 25 MB audio
 * upload costs no more memory than the body BBR already holds. Resolves with the field's
 * value, undefined when the form lacks it, or an error for a malformed form or a field over
 * the limit.
 */
export function readMultipartField(
  body: Uint8Array,
  contentType: string,
  fieldName: string,
  limits: MultipartLimits,
): Promise<Result<string | undefined, string>> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: Result<string | undefined, string>) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { "content-type": contentType },
        limits: { fieldSize: limits.maxFieldBytes, parts: limits.maxParts, fieldNameSize: 200 },
      });
    } catch (e) {
      settle(err((e as Error).message));
      return;
    }
    let value: string | undefined;
    parser.on("file", (_name, stream) => {
      // A truncated form also fails the open file stream; the parser's error reports it.
      stream.on("error", () => {});
      stream.resume();
    });
    parser.on("field", (name, v, info) => {
      if (name !== fieldName || value !== undefined) return;
      if (info.valueTruncated) settle(err(`field "${fieldName}" is longer than ${limits.maxFieldBytes} bytes`));
      else value = v;
    });
    parser.on("partsLimit", () => settle(err(`form has more than ${limits.maxParts} parts`)));
    parser.on("error", (e: unknown) => settle(err(e instanceof Error ? e.message : String(e))));
    parser.on("close", () => settle(ok(value)));
    parser.end(body);
  });
}
