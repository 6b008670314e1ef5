// The proxy every hosted call goes through, as the environment sets it (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
import { describeProxy, proxyFromEnv } from "../../providers/proxy.js";
import { ok, type DoctorCheck } from "./types.js";

export function checkProxy(env: Record<string, string | undefined>): DoctorCheck {
  const base = { id: "proxy", label: "proxy" } as const;
  const proxy = proxyFromEnv(env);
  if (proxy === undefined) return ok(base, "none (HTTPS_PROXY and HTTP_PROXY are not set): direct connections", { set: false });
  return ok(base, `${describeProxy(proxy)}: every hosted call, Hub lookup and image URL uses it`, { set: true, description: describeProxy(proxy) });
}
