import { describe, expect, it } from "vitest";
import { ADMIN_SERVICE_TYPE_NAME } from "./admin-handler.js";
import { ADMIN_PATH_PREFIX } from "./admin-route.js";

describe("ADMIN_PATH_PREFIX", () => {
  it("is the generated AdminService's path, spelt out so routing loads no protos", () => {
    expect(ADMIN_PATH_PREFIX).toBe(`/${ADMIN_SERVICE_TYPE_NAME}/`);
  });
});
