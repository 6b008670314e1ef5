// The proxy check: the proxy every hosted call goes through, named without its password.
import { describe, expect, it } from "vitest";
import { check, TOKEN, useDoctorSandbox } from "./doctor-harness.js";

const sandbox = useDoctorSandbox();
const { doctor } = sandbox;

describe("doctor and the proxy", () => {
  it("reports the proxy every call goes through, without its password", async () => {
    const report = await doctor({}, { hfToken: TOKEN }, { HTTPS_PROXY: "http://bob:s3cret@proxy.corp:3128", NO_PROXY: "localhost,127.0.0.1" });
    expect(check(report, "proxy").detail).toBe("https via http://proxy.corp:3128, not for localhost,127.0.0.1: every hosted call, Hub lookup and image URL uses it");
    expect(JSON.stringify(report)).not.toContain("s3cret");
  });
});
