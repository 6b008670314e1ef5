import { describe, expect, it } from "vitest";
import { SAME_LANGUAGE, languageMismatch, languageOf } from "../../src/reasoning/language.js";

describe("the language think must answer in", () => {
  it.each([
    ["把天空换成晚霞", "Chinese"],
    ["帮我把图片中的TOFEL修改为IELTS", "Chinese"],
    ["猫を追加して", "Japanese"],
    ["하늘을 파랗게 바꿔줘", "Korean"],
    ["make the sky blue", SAME_LANGUAGE],
    ["rends le ciel bleu", SAME_LANGUAGE],
    ['Replace the text "中国" with "China" on the sign', SAME_LANGUAGE],
  ])("%s → %s", (request, language) => {
    expect(languageOf(request)).toBe(language);
  });

  it("flags an answer that left the request's script, and nothing for Latin-script requests", () => {
    expect(languageMismatch("把天空换成晚霞", "Replace the sky with a sunset.")).toMatch(/Chinese/);
    expect(languageMismatch("把天空换成晚霞", "将天空替换为晚霞。")).toBeUndefined();
    expect(languageMismatch("сделай небо голубым", "Make the sky blue.")).toMatch(/Cyrillic/);
    expect(languageMismatch("make the sky blue", "将天空变蓝")).toBeUndefined();
  });
});
