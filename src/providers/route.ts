// Names a model's route for ids, logs and messages, with any credential in a URL left out.

/** `<model>@<provider>` for hosted calls, `<model>@<url without credentials or query>` for a custom server. */
export function routeId(model: string, provider: string, url?: string): string {
  return `${model}@${url === undefined ? provider : displayUrl(url)}`;
}

/** A URL as it may appear in a log: no user:password, no query (keys hide there, e.g. ?key=…), no fragment. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url.trim());
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, "")}`;
  } catch {
    return "<invalid url>";
  }
}

/** The same route with the provider a call resolved it to: `Qwen/Qwen-Image-Edit@auto` → `Qwen/Qwen-Image-Edit@fal-ai`. */
export function rerouted(route: string, provider: string): string {
  const at = route.indexOf("@");
  return `${at < 0 ? route : route.slice(0, at)}@${provider}`;
}
