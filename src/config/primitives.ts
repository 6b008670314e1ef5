// The zod building blocks every input reader shares (settings, batch flags, eval options, manifest rows), so a
// value means the same thing, and a bad one is worded the same way, wherever it is typed.
import { z } from "zod";
import { hasUserinfo } from "../redact.js";

export const number = () => z.coerce.number({ error: "must be a number" });

export const wholeNumber = (min: number, max: number) =>
  number()
    .int("must be a whole number")
    .min(min, min === 0 ? "must be 0 or more" : `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

export const positiveInt = (max: number) => wholeNumber(1, max);

/** One of a fixed list of words, e.g. `--chain latest|source`. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `must be one of ${values.join(", ")}` });

const TRUE_WORDS = ["true", "1", "yes", "on"];
const FALSE_WORDS = ["false", "0", "no", "off"];

/** true/false, or the words environments and CSV cells use for them (any case). */
export const booleanish = z.preprocess(
  (value) => {
    if (typeof value !== "string") return value;
    const word = value.trim().toLowerCase();
    return TRUE_WORDS.includes(word) ? true : FALSE_WORDS.includes(word) ? false : value;
  },
  z.boolean({ error: "must be true or false (or yes/no, 1/0, on/off)" }),
);

/** An http(s) URL without user:password@: a password in a URL would be shown and recorded wherever the URL is. */
export const httpUrl = (keyVariable: string) =>
  z
    .string()
    .url("must be an http(s) URL")
    .refine((url) => /^https?:\/\//i.test(url), "must be an http(s) URL")
    .refine(
      (url) => !hasUserinfo(url),
      `must not carry a user name or password (user:password@): remove them and put the server's key in ${keyVariable}, which is sent as a Bearer token to that URL only`,
    );
