// What the shared loopback fake does not serve and `doctor` asks for: the Hub's GET /api/whoami-v2 and an
// OpenAI-compatible GET /v1/models. A tiny node:http server on 127.0.0.1, plus a fetch that sends whoami there
// and every other hosted host (the Hub mapping, the router) to the fake.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { rewriteHostedUrl } from "./route-hosts.mjs";

export interface WhoAmIBody {
  type?: string;
  name?: string;
  auth?: { type?: string; accessToken?: { displayName?: string; role?: string; fineGrained?: { global?: string[]; scoped?: Array<{ entity?: unknown; permissions?: string[] }> } } };
}

export interface HubExtras {
  url: string;
  /** Requests received: path and whether an Authorization header came with it (never its value). */
  requests: Array<{ path: string; authorized: boolean }>;
  /** Token → the whoami answer; any other token (or none) gets 401. */
  tokens: Map<string, WhoAmIBody>;
  /** Model ids GET /v1/models lists; `requireKey` makes it answer 401 without that Bearer key. */
  models: { ids: string[]; requireKey?: string };
  close(): Promise<void>;
}

export async function startHubExtras(): Promise<HubExtras> {
  // The server reads this very object, so a test may replace `models` or add tokens at any time.
  const extras: HubExtras = { url: "", requests: [], tokens: new Map(), models: { ids: [] }, close: async () => undefined };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const authorization = req.headers.authorization;
    extras.requests.push({ path, authorized: authorization !== undefined });
    const bearer = authorization?.replace(/^Bearer\s+/i, "");
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (path === "/api/whoami-v2") {
      const who = bearer === undefined ? undefined : extras.tokens.get(bearer);
      return who ? send(200, who) : send(401, { error: "Invalid credentials in Authorization header" });
    }
    if (path === "/v1/models") {
      if (extras.models.requireKey !== undefined && bearer !== extras.models.requireKey) return send(401, { error: { message: "Invalid API key" } });
      return send(200, { object: "list", data: extras.models.ids.map((id) => ({ id, object: "model", owned_by: "me" })) });
    }
    return send(404, { error: `not served: ${path}` });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  extras.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  extras.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return extras;
}

function hrefOf(input: Parameters<typeof fetch>[0]): string {
  return typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
}

/** A fetch for doctor: whoami to `extras`, huggingface.co and the router to the fake, anything else as it is. */
export function doctorFetch(fakeUrl: string, extras: HubExtras, base: typeof fetch = globalThis.fetch): typeof fetch {
  return (input, init) => {
    const href = hrefOf(input);
    if (href.startsWith("https://huggingface.co/api/whoami-v2")) return base(`${extras.url}/api/whoami-v2`, init);
    return base(rewriteHostedUrl(href, fakeUrl), init);
  };
}

/** A port nothing listens on: a server started and closed again. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export const FINE_GRAINED_WITH_INFERENCE: WhoAmIBody = {
  type: "user",
  name: "alice",
  auth: { type: "access_token", accessToken: { displayName: "reasonedit", role: "fineGrained", fineGrained: { global: ["inference.serverless.write"], scoped: [] } } },
};

export const FINE_GRAINED_WITHOUT_INFERENCE: WhoAmIBody = {
  type: "user",
  name: "alice",
  auth: { type: "access_token", accessToken: { displayName: "repo-only", role: "fineGrained", fineGrained: { global: ["discussion.write"], scoped: [{ entity: { type: "user", name: "alice" }, permissions: ["repo.content.read"] }] } } },
};
