import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { err, ok, type Result } from "../../../common/result.js";
import { type ModelMapping, modelMapping } from "./adapters-store.js";

const mappingList = z.array(modelMapping);

/**
 * readMappingFile reads LoRA-to-base mappings: YAML with one `{baseModel, adapters}` document
 * per base model (`---` separated), or documents holding lists of them. Errors name the file,
 * the document and the field.
 */
export function readMappingFile(path: string): Result<ModelMapping[], string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return err(`${path}: cannot read: ${(e as Error).message}`);
  }
  return parseMappings(text, path);
}

/** parseMappings parses mapping YAML text; `source` names it in errors. */
export function parseMappings(text: string, source: string): Result<ModelMapping[], string> {
  const mappings: ModelMapping[] = [];
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return err(`${source}: not a YAML stream`);
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) return err(`${source}: document ${i + 1}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    // Pick the schema by shape, so errors point at the field rather than at "no union member".
    const parsed = Array.isArray(value) ? mappingList.safeParse(value) : modelMapping.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length > 0 ? `.${issue.path.join(".")}` : "";
      return err(`${source}: document ${i + 1}${where}: ${issue.message}`);
    }
    const data: ModelMapping | ModelMapping[] = parsed.data;
    if (Array.isArray(data)) mappings.push(...data);
    else mappings.push(data);
  }
  return ok(mappings);
}
