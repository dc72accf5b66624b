/**
 * formatGoScalar renders a JSON scalar the way Go's fmt "%v" renders the value encoding/json
 * decodes it to (strings as is, numbers as float64 in %g shortest form, booleans as
 * true/false), so headers match GIE's BBR byte for byte. Returns undefined for null, objects,
 * arrays and numbers out of float64 range, which make no sensible header value.
 */
export function formatGoScalar(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return value;
    case "boolean":
      return value ? "true" : "false";
    case "number":
      // JSON.parse turns 1e400 into Infinity; Go refuses such numbers. No header either way.
      return Number.isFinite(value) ? formatGoFloat(value) : undefined;
    default:
      return undefined;
  }
}

/**
 * formatGoFloat is Go's strconv.FormatFloat(v, 'g', -1, 64) as fmt's %v uses it: the shortest
 * digits that round-trip, in exponent form when the exponent is < -4 or >= 6 (1e6 → "1e+06").
 */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const sign = value < 0 ? "-" : "";
  // toExponential() without an argument gives the shortest round-trip digits, as Go does.
  const [mantissa, exponentText] = Math.abs(value).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : "";
    const magnitude = String(Math.abs(exponent)).padStart(2, "0");
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? "-" : "+"}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const integer = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1);
  return fraction ? `${sign}${integer}.${fraction}` : `${sign}${integer}`;
}
