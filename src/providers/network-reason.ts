// fetch hides why a request failed in a chain of causes: "fetch failed" ← "Request was cancelled." (code 0) ←
// "Proxy response (502) !== 200 when HTTP Tunneling". One reading of that chain for every message that names it.

const PROXY_REFUSAL = /Proxy response \((\d+)\) !== 200/;

/** The deepest useful reason: a socket code with its words ("ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:9)"), a proxy's refusal, else the innermost message. */
export function networkReason(error: unknown): string {
  const chain = causeChain(error);
  const proxy = chain.map((link) => PROXY_REFUSAL.exec(messageOf(link))).find((match) => match !== null);
  if (proxy) return `the proxy refused the tunnel (HTTP ${proxy[1]} to CONNECT)`;
  const coded = [...chain].reverse().find((link) => typeof codeOf(link) === "string" && !String(codeOf(link)).startsWith("UND_ERR_ABORTED"));
  if (coded) {
    const code = String(codeOf(coded));
    const words = messageOf(coded);
    return words && !words.includes(code) ? `${code} (${firstLine(words)})` : code;
  }
  return firstLine(messageOf(chain[chain.length - 1]));
}

/** The socket-level code (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET…) anywhere in the chain, innermost first. */
export function networkCode(error: unknown): string | undefined {
  const coded = [...causeChain(error)].reverse().find((link) => typeof codeOf(link) === "string");
  return coded === undefined ? undefined : String(codeOf(coded));
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let link = error; link !== undefined && link !== null && chain.length < 8; link = (link as { cause?: unknown }).cause) chain.push(link);
  return chain;
}

function codeOf(link: unknown): unknown {
  return typeof link === "object" && link !== null ? (link as { code?: unknown }).code : undefined;
}

function messageOf(link: unknown): string {
  return link instanceof Error ? link.message : typeof link === "string" ? link : "";
}

export function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
