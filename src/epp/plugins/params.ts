import { z } from "zod";

/**
 * parameters builds a plugin's strict parameter schema: unknown keys are errors (as llm-d's
 * strict decoder) and omitted or null parameters mean "all defaults".
 */
export function parameters<Shape extends z.ZodRawShape>(shape: Shape) {
  // Every field has a default or is optional, so {} is a valid input; zod cannot see that generically.
  return z.strictObject(shape).prefault({} as never);
}

/** noParameters is the schema of a plugin type that takes no parameters. */
export const noParameters = parameters({});
