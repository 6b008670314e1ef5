import { InferenceClient, setLogger } from "@huggingface/inference";
import { afterEach, describe, expect, it, vi } from "vitest";
import { routeLibraryLogs } from "../../src/providers/library-logger.js";
import { routeId } from "../../src/providers/route.js";
import { captureLogger } from "../fakes/capture-logger.js";
import { fault, startFakeProviders } from "../fakes/fake-providers.mjs";
import { routeHostsTo } from "../fakes/route-hosts.mjs";

afterEach(() => setLogger(console));

describe("routeLibraryLogs", () => {
  it("sends the library's notices to pino instead of stdout", async () => {
    const fake = await startFakeProviders();
    fake.fail("fal-submit", fault.status(400));
    const routing = routeHostsTo(fake.url);
    const log = captureLogger();
    const stdout = vi.spyOn(process.stdout, "write");
    const consoleLog = vi.spyOn(console, "log");
    try {
      routeLibraryLogs(log.logger);
      const client = new InferenceClient("hf_testLoggerToken123456", { fetch: routing.fetch, retry_on_error: false });
      // No provider: the library logs "Defaulting to 'auto'…" and "Auto selected provider: …", then the submit fails.
      await client.imageToImage({ model: "test/logger-model", inputs: new Blob([new Uint8Array([1])], { type: "image/png" }) }).catch(() => {});

      expect(consoleLog).not.toHaveBeenCalled();
      expect(stdout).not.toHaveBeenCalled();
      expect(log.at("debug").map((line) => line.msg).join("\n")).toContain("Auto selected provider: fal-ai");
    } finally {
      stdout.mockRestore();
      consoleLog.mockRestore();
      routing.restore();
      await fake.close();
    }
  });
});

describe("routeId", () => {
  it("names the provider for hosted calls and the bare url for custom servers", () => {
    expect(routeId("m/x", "fal-ai")).toBe("m/x@fal-ai");
    expect(routeId("m/x", "auto", "https://user:pw@api.example.com/v1/?key=secret#frag")).toBe("m/x@https://api.example.com/v1");
  });
});
