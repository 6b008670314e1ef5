// Corporate networks and the login people already did, from the built bin: HTTPS_PROXY / HTTP_PROXY / NO_PROXY are
// honoured (a loopback proxy records what it was asked), and with no HF_TOKEN the token `hf auth login` saved is used.
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { reasoningResponder } from "../fakes/reasoning-responder.mjs";
import { cleanEnv, makeTempHome, runCli } from "../support/run-cli.js";
import { expectExit } from "../support/assertions.js";

const LOGIN_TOKEN = "hf_loginTokenFromHfAuthLogin123456";

/** A forward proxy that answers plain-HTTP requests itself (an image) and refuses every CONNECT, recording both. */
async function startRecordingProxy(image: Buffer): Promise<{ url: string; lines: string[]; close: () => Promise<void> }> {
  const lines: string[] = [];
  const server: Server = createServer((req, res) => {
    lines.push(`${req.method} ${req.url}`);
    res.writeHead(200, { "content-type": "image/png", "content-length": image.length });
    res.end(image);
  });
  server.on("connect", (req, socket) => {
    lines.push(`CONNECT ${req.url}`);
    socket.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    lines,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

let home: { dir: string; cleanup: () => void };
let fake: FakeProviders;
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;

beforeEach(async () => {
  home = makeTempHome();
  fake = await startFakeProviders({ chat: reasoningResponder({ verdicts: ["success"] }) });
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#6080a0" } }).png().toBuffer();
  proxy = await startRecordingProxy(png);
});
afterEach(async () => {
  await proxy.close();
  await fake.close();
  home.cleanup();
});

describe("proxies", () => {
  it("sends the Hub lookups through HTTPS_PROXY, and doctor says which proxy is in use", async () => {
    const result = await runCli(["doctor", "--json"], { cwd: home.dir, env: cleanEnv(home.dir, { HF_TOKEN: "hf_doctorProxyToken123", HTTPS_PROXY: proxy.url }) });
    const report = JSON.parse(result.stdout) as { checks: Array<{ id: string; status: string; detail: string }> };
    const proxyCheck = report.checks.find((check) => check.id === "proxy");
    expect(proxyCheck?.detail).toBe(`https via ${proxy.url}: every hosted call, Hub lookup and image URL uses it`);
    expect(proxy.lines).toContain("CONNECT huggingface.co:443");
    expectExit(result, 4); // the proxy refused the tunnels: a service problem, not a bug
  });

  it("fetches an image URL through HTTP_PROXY and keeps NO_PROXY hosts direct", async () => {
    const result = await runCli(
      ["edit", "http://images.example/cat.png", "make it snow", "-o", join(home.dir, "out.png"), "--mllm-url", `${fake.url}/v1`, "--editor-url", fake.url, "--seed", "1"],
      { cwd: home.dir, env: cleanEnv(home.dir, { HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" }) },
    );
    expect(result.stderr).toContain("accepted");
    expectExit(result, 0);
    expect(proxy.lines).toEqual(["GET http://images.example/cat.png"]);
    expect(fake.requestsOf("chat").length).toBeGreaterThan(0); // the local servers were reached directly
  });

  it("downloads an hf://datasets benchmark through HTTPS_PROXY too", async () => {
    const flags = ["--mllm-url", `${fake.url}/v1`, "--editor-url", fake.url, "--judge-url", `${fake.url}/v1`, "--out-dir", join(home.dir, "eval"), "--max-retries", "0"];
    const result = await runCli(["eval", "hf://datasets/stepfun-ai/GEdit-Bench", ...flags], { cwd: home.dir, env: cleanEnv(home.dir, { HTTPS_PROXY: proxy.url, NO_PROXY: "127.0.0.1" }) });
    expect(proxy.lines).toContain("CONNECT huggingface.co:443");
    expect(result.stderr).toContain("from https://huggingface.co: the proxy refused the tunnel (HTTP 502 to CONNECT)");
    expect(result.stderr).toContain("check HTTPS_PROXY (and NO_PROXY) and that the proxy allows huggingface.co");
    expect(result.code).toBe(4);
    expect(fake.requests).toHaveLength(0);
  }, 60_000);
});

describe("the login token", () => {
  it("uses the token `hf auth login` saved under HF_HOME when HF_TOKEN is not set, and says where it came from", async () => {
    const hfHome = join(home.dir, "hf-home");
    mkdirSync(hfHome, { recursive: true });
    writeFileSync(join(hfHome, "token"), `${LOGIN_TOKEN}\n`);
    const result = await runCli(["doctor", "--json"], { cwd: home.dir, env: cleanEnv(home.dir, { HF_HOME: hfHome, HTTPS_PROXY: proxy.url }) });
    const report = JSON.parse(result.stdout) as { checks: Array<{ id: string; detail: string }> };
    expect(report.checks.find((check) => check.id === "token")?.detail).toBe(
      `set in the login token file ${join(hfHome, "token")} (hf auth login), a Hugging Face token: calls go through the router (huggingface.co)`,
    );
    expect(`${result.stdout}${result.stderr}`).not.toContain(LOGIN_TOKEN);
  });

  it("prefers $HF_TOKEN_PATH, and still asks for a token when there is none", async () => {
    const tokenPath = join(home.dir, "elsewhere", "my-token");
    mkdirSync(join(home.dir, "elsewhere"));
    writeFileSync(tokenPath, LOGIN_TOKEN);
    const found = await runCli(["doctor", "--json"], { cwd: home.dir, env: cleanEnv(home.dir, { HF_TOKEN_PATH: tokenPath, HTTPS_PROXY: proxy.url }) });
    expect(found.stdout).toContain(`the login token file ${tokenPath}`);

    await sharp({ create: { width: 8, height: 8, channels: 3, background: "#808080" } }).png().toFile(join(home.dir, "cat.png"));
    const missing = await runCli(["edit", "cat.png", "make it snow"], { cwd: home.dir, env: cleanEnv(home.dir) });
    expectExit(missing, 2);
    expect(missing.stderr).toContain("hf auth login");
  });
});
