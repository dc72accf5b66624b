/** ConfigIssue is one problem in a config: where (a path like plugins[1].parameters.fieldName) and why. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** ConfigError is every problem found in one config source. */
export interface ConfigError {
  readonly source: string;
  readonly issues: readonly ConfigIssue[];
}

/** formatConfigError renders one line per issue: `source: path: reason`. */
export function formatConfigError(error: ConfigError): string {
  return error.issues.map((i) => `${error.source}: ${i.path === "" ? "" : `${i.path}: `}${i.message}`).join("\n");
}

/** formatPath renders a zod-style path as `plugins[0].parameters.fieldName`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/**
 * yamlErrorIssues turns YAML parser errors into issues with line and column (when the parser
 * computed them: prettyErrors, the yaml default). The reason is the message's first line without
 * the parser's own " at line L, column C:" suffix, so the position is said once.
 */
export function yamlErrorIssues(
  errors: readonly { message: string; linePos?: readonly [{ line: number; col: number }, ...unknown[]] }[],
): ConfigIssue[] {
  return errors.map((e) => {
    const where = e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "";
    const reason = (e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
    return { path: "", message: `invalid YAML${where}: ${reason}` };
  });
}
