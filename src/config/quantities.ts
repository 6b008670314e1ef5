// Human quantities on the command line: ages such as "30d" and sizes such as "2GB", read with zod.
import { z } from "zod";
import { ReasonEditError } from "../errors.js";

const MS_PER_UNIT: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Decimal units as disks are sold (GB = 10⁹ bytes), binary ones as `ls -h` shows them (GiB = 2³⁰). */
const BYTES_PER_UNIT: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

const DurationSchema = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?\s*[smhdw]$/i, 'must be a number and a unit: s, m, h, d or w (e.g. "30d", "12h")')
  .transform((text) => Number.parseFloat(text) * MS_PER_UNIT[text.slice(-1).toLowerCase()]!);

const SizeSchema = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?\s*([kmgt]i?)?b?$/i, 'must be a size such as "2GB", "500MB" or "1.5GiB"')
  .transform((text) => {
    const unit = /[a-z]+$/i.exec(text)?.[0].toLowerCase() ?? "b";
    return Math.round(Number.parseFloat(text) * (BYTES_PER_UNIT[unit.endsWith("b") ? unit : `${unit}b`] ?? 1));
  });

/** A size setting: bytes as a number, or a string such as "2GB". */
export const byteSize = z.union([z.number().int().nonnegative(), SizeSchema]);

/** Milliseconds from "30d", "12h", "90m"; a usage error naming the flag otherwise. */
export function parseDuration(value: string, flag: string): number {
  return parseWith(DurationSchema, value, flag);
}

/** Bytes from "2GB", "500MB", "1.5GiB" or a plain number of bytes. */
export function parseSize(value: string, flag: string): number {
  return parseWith(SizeSchema, value, flag);
}

function parseWith(schema: z.ZodType<number, string>, value: string, flag: string): number {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ReasonEditError("usage", `invalid ${flag} ${JSON.stringify(value)}: ${parsed.error.issues[0]!.message}`, { hint: "see --help" });
}
