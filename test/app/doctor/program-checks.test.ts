// The program checks: a recent enough Node.js (sharp's formats are asserted by run-doctor.test.ts on this machine).
import { describe, expect, it } from "vitest";
import { checkNode } from "../../../src/app/doctor/program-checks.js";

describe("doctor and the program", () => {
  it("fails on a Node.js older than 20", () => {
    expect(checkNode("18.19.0")).toMatchObject({ status: "fail", kind: "config", detail: "v18.19.0 is too old: reasonedit needs Node.js 20 or later" });
    expect(checkNode("20.20.2").status).toBe("ok");
  });
});
