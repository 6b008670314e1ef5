// The fake's own promises that other tests lean on: a request whose client left while the fake held it (its latency)
// is never answered and takes no queued fault, and the gates open on the requests that arrive and leave.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fault, startFakeProviders, type FakeProviders } from "./fake-providers.mjs";

let fake: FakeProviders;
beforeEach(async () => {
  fake = await startFakeProviders();
});
afterEach(async () => {
  await fake.close();
});

const postEdit = (signal?: AbortSignal) => fetch(`${fake.url}/edit`, { method: "POST", body: new Uint8Array([1, 2, 3]), headers: { "content-type": "image/png" }, ...(signal ? { signal } : {}) });

describe("the loopback fake", () => {
  it("leaves a fault queued after a killed client's request for the request that comes next", async () => {
    fake.setLatency("edit", 200);
    const abandoned = new AbortController();
    const first = postEdit(abandoned.signal).catch((error: unknown) => error);
    await fake.received("edit");
    abandoned.abort();
    expect(await first).toMatchObject({ name: "AbortError" });
    fake.fail("edit", fault.authError(401)); // queued for the next test's call, while the abandoned one still sleeps
    expect(fake.inFlight()).toBe(1);

    await fake.idle();
    expect(fake.pendingFaults("edit")).toBe(1);
    fake.setLatency("edit", 0);
    expect((await postEdit()).status).toBe(401);
  });

  it("opens received() once that many requests arrived, and idle() once all are answered", async () => {
    fake.setLatency("edit", 50);
    const arrived = fake.received("edit", 2);
    const answers = [postEdit(), postEdit()];
    await arrived;
    expect(fake.requestsOf("edit")).toHaveLength(2);
    await fake.idle();
    expect(fake.inFlight()).toBe(0);
    expect((await Promise.all(answers)).every((response) => response.status !== 0)).toBe(true);
  });
});
