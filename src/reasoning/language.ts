// Which language a request is written in, as far as its script tells — the think step must answer in it.

interface Script {
  name: string;
  /** Matches one unit: a character for scripts written without spaces, a word for alphabetic ones. */
  unit: RegExp;
  /** Characters that show a reply is written in this script. */
  letters: RegExp;
  /** The script counts only when the text has one of these. */
  requires?: RegExp;
}

const SCRIPTS: readonly Script[] = [
  {
    name: "Japanese",
    unit: /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/gu,
    letters: /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u,
    requires: /[\p{Script=Hiragana}\p{Script=Katakana}]/u,
  },
  { name: "Korean", unit: /\p{Script=Hangul}/gu, letters: /\p{Script=Hangul}/u },
  { name: "Chinese", unit: /\p{Script=Han}/gu, letters: /\p{Script=Han}/u },
  { name: "Thai", unit: /\p{Script=Thai}/gu, letters: /\p{Script=Thai}/u },
  { name: "the Cyrillic-script language of the request", unit: /\p{Script=Cyrillic}+/gu, letters: /\p{Script=Cyrillic}/u },
  { name: "the Arabic-script language of the request", unit: /\p{Script=Arabic}+/gu, letters: /\p{Script=Arabic}/u },
  { name: "Hebrew", unit: /\p{Script=Hebrew}+/gu, letters: /\p{Script=Hebrew}/u },
  { name: "Greek", unit: /\p{Script=Greek}+/gu, letters: /\p{Script=Greek}/u },
  { name: "the Devanagari-script language of the request", unit: /\p{Script=Devanagari}+/gu, letters: /\p{Script=Devanagari}/u },
];

const LATIN_WORD = /\p{Script=Latin}+/gu;
export const SAME_LANGUAGE = "the same language as the user's request";

function countUnits(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

/**
 * The non-Latin script a request is mostly written in, or undefined for Latin script (which cannot tell
 * English from French). Han characters count one each against Latin words, so quoted English words inside
 * a Chinese request ("把TOFEL改成IELTS") do not outvote it; any kana makes Han text Japanese.
 */
export function detectScript(text: string): Script | undefined {
  const latin = countUnits(text, LATIN_WORD);
  let best: Script | undefined;
  let bestUnits = 0;
  for (const script of SCRIPTS) {
    if (script.requires && !script.requires.test(text)) continue;
    const units = countUnits(text, script.unit);
    if (units > bestUnits) [best, bestUnits] = [script, units];
  }
  if (best === undefined || bestUnits < 2 || bestUnits <= latin) return undefined;
  return best;
}

/** Fills the think template's {{language}}: a name when the script tells, else "the same language as …". */
export function languageOf(request: string): string {
  return detectScript(request)?.name ?? SAME_LANGUAGE;
}

/** Why `answer` is not in the request's language, or undefined when it is (or the script cannot tell). */
export function languageMismatch(request: string, answer: string): string | undefined {
  const script = detectScript(request);
  if (script === undefined || script.letters.test(answer)) return undefined;
  return `it must be written in ${script.name}, the language of the request`;
}
