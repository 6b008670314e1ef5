// HTTPS_PROXY / HTTP_PROXY / NO_PROXY for every request the process makes: Node's built-in fetch ignores them, so
// undici's EnvHttpProxyAgent becomes the global dispatcher. The library's calls, its fal polls and media downloads,
// the Hub lookups and input image URLs all go through the global fetch, so one dispatcher covers them all.
import { EnvHttpProxyAgent, setGlobalDispatcher } from "undici";
import { displayUrl } from "./route.js";

export interface ProxySettings {
  httpsProxy?: string;
  httpProxy?: string;
  noProxy?: string;
}

/** The proxy variables as curl reads them: upper case first, then lower case. */
export function proxyFromEnv(env: Record<string, string | undefined>): ProxySettings | undefined {
  const pick = (name: string) => nonEmpty(env[name]) ?? nonEmpty(env[name.toLowerCase()]);
  const settings: ProxySettings = {};
  const httpsProxy = pick("HTTPS_PROXY");
  const httpProxy = pick("HTTP_PROXY");
  const noProxy = pick("NO_PROXY");
  if (httpsProxy) settings.httpsProxy = httpsProxy;
  if (httpProxy) settings.httpProxy = httpProxy;
  if (noProxy) settings.noProxy = noProxy;
  return settings.httpsProxy || settings.httpProxy ? settings : undefined;
}

/** Routes the process's fetches through the proxy the environment names; returns it, or undefined when none is set. */
export function installProxy(env: Record<string, string | undefined>): ProxySettings | undefined {
  const settings = proxyFromEnv(env);
  if (settings === undefined) return undefined;
  // An https URL without HTTPS_PROXY goes through HTTP_PROXY, as curl and pip do.
  // proxyTunnel false: plain-http URLs go to the proxy as absolute-URI requests, as curl sends them; many
  // proxies allow CONNECT to port 443 only. https is tunnelled with CONNECT either way.
  const options = { httpProxy: settings.httpProxy, httpsProxy: settings.httpsProxy ?? settings.httpProxy, noProxy: settings.noProxy, proxyTunnel: false };
  setGlobalDispatcher(new EnvHttpProxyAgent(options as EnvHttpProxyAgent.Options));
  return settings;
}

/** "https → http://proxy:3128, http → …; not for localhost" with any user:password left out. */
export function describeProxy(settings: ProxySettings): string {
  const https = settings.httpsProxy ?? settings.httpProxy;
  const parts = [`https via ${shown(https!)}`];
  if (settings.httpProxy) parts.push(`http via ${shown(settings.httpProxy)}`);
  if (settings.noProxy) parts.push(`not for ${settings.noProxy}`);
  return parts.join(", ");
}

function shown(url: string): string {
  return /^[a-z]+:\/\//i.test(url) ? displayUrl(url) : url;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value.trim() : undefined;
}
