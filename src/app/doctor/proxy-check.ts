// The proxy every hosted call goes through, as the environment sets it (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
import { describeProxy, proxyFromEnv } from "../../providers/proxy.js";
import type { DoctorCheck } from "./types.js";

export function checkProxy(env: Record<string, string | undefined>): DoctorCheck {
  const base = { id: "proxy", label: "proxy" } as const;
  const proxy = proxyFromEnv(env);
  if (proxy === undefined) return { ...base, status: "ok", detail: "none (HTTPS_PROXY and HTTP_PROXY are not set): direct connections", data: { set: false } };
  return { ...base, status: "ok", detail: `${describeProxy(proxy)}: every hosted call, Hub lookup and image URL uses it`, data: { set: true, description: describeProxy(proxy) } };
}
