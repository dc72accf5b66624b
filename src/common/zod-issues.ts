import type { z } from "zod";

/** PathIssue is one validation problem at a path. */
export interface PathIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * zodIssues flattens a zod error into path-precise issues. An unknown key becomes an issue at
 * that key's own path (zod reports it at the parent), so `field_name` in parameters is reported
 * as `…parameters.field_name: unknown field`.
 */
export function zodIssues(error: z.ZodError): PathIssue[] {
  return error.issues.flatMap((issue): PathIssue[] => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: [...issue.path, key], message: `unknown field "${key}"` }));
    }
    return [{ path: issue.path, message: issue.message }];
  });
}
