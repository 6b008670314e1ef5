// Benchmark files the tests write at run time: a GEdit-Bench-shaped parquet file (images embedded as the Hub's Image
// feature, a struct of bytes and path) and KRIS-Bench category folders.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { FIXTURES } from "./eval-doubles.js";

export interface GeditRow {
  key: string;
  task_type: string;
  instruction: string;
  instruction_language: string;
  /** A file in fixtures/. */
  image: string;
  Intersection_exist: boolean;
}

/** Three edits over two categories, each in EN and CN, as GEdit-Bench ships them (same key for both languages). */
export const GEDIT_ROWS: GeditRow[] = [
  { key: "a1", task_type: "color_alter", instruction: "make the cup blue [1 round]", instruction_language: "en", image: "coffee.png", Intersection_exist: true },
  { key: "a1", task_type: "color_alter", instruction: "把杯子变成蓝色 [1 round]", instruction_language: "cn", image: "coffee.png", Intersection_exist: true },
  { key: "b2", task_type: "color_alter", instruction: "make the eyes green [1 round]", instruction_language: "en", image: "chelsea.png", Intersection_exist: false },
  { key: "b2", task_type: "color_alter", instruction: "把眼睛变成绿色 [1 round]", instruction_language: "cn", image: "chelsea.png", Intersection_exist: false },
  { key: "c3", task_type: "style_change", instruction: "paint it as a watercolour [1 round]", instruction_language: "en", image: "rocket.jpg", Intersection_exist: true },
  { key: "c3", task_type: "style_change", instruction: "画成水彩画 [1 round]", instruction_language: "cn", image: "rocket.jpg", Intersection_exist: true },
];

const HF_FEATURES = {
  info: {
    features: {
      task_type: { dtype: "string", _type: "Value" },
      key: { dtype: "string", _type: "Value" },
      instruction: { dtype: "string", _type: "Value" },
      instruction_language: { dtype: "string", _type: "Value" },
      input_image: { _type: "Image" },
      Intersection_exist: { dtype: "bool", _type: "Value" },
    },
  },
};

/** A parquet file as `datasets` writes GEdit-Bench: string columns, a bool, and an Image struct {bytes, path}. */
export async function geditParquet(rows: readonly GeditRow[] = GEDIT_ROWS, options: { rowGroupSize?: number; omit?: string } = {}): Promise<Uint8Array> {
  const images = await Promise.all(rows.map(async (row) => ({ bytes: new Uint8Array(await readFile(path.join(FIXTURES, row.image))), path: row.image })));
  const columns = [
    { name: "task_type", data: rows.map((row) => row.task_type), element: stringElement("task_type") },
    { name: "key", data: rows.map((row) => row.key), element: stringElement("key") },
    { name: "instruction", data: rows.map((row) => row.instruction), element: stringElement("instruction") },
    { name: "instruction_language", data: rows.map((row) => row.instruction_language), element: stringElement("instruction_language") },
    { name: "input_image", data: images, element: [{ name: "input_image", repetition_type: "OPTIONAL", num_children: 2 }, { name: "bytes", type: "BYTE_ARRAY", repetition_type: "OPTIONAL" }, stringElement("path")[0]!] },
    { name: "Intersection_exist", data: rows.map((row) => row.Intersection_exist), element: [{ name: "Intersection_exist", type: "BOOLEAN", repetition_type: "OPTIONAL" }] },
  ].filter((column) => column.name !== options.omit);
  const buffer = parquetWriteBuffer({
    columnData: columns.map(({ name, data }) => ({ name, data })),
    schema: [{ name: "schema", num_children: columns.length }, ...columns.flatMap((column) => column.element)] as never,
    kvMetadata: [{ key: "huggingface", value: JSON.stringify(HF_FEATURES) }],
    ...(options.rowGroupSize ? { rowGroupSize: options.rowGroupSize } : {}),
  });
  return new Uint8Array(buffer);
}

function stringElement(name: string): { name: string; type: "BYTE_ARRAY"; converted_type: "UTF8"; repetition_type: "OPTIONAL" }[] {
  return [{ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" }];
}

/** KRIS-Bench's released layout: <category>/annotation.json plus the images it names, under `root/`. */
export async function krisFiles(root = ""): Promise<Record<string, string | Uint8Array>> {
  const prefix = root ? `${root}/` : "";
  const coffee = new Uint8Array(await readFile(path.join(FIXTURES, "coffee.png")));
  const chelsea = new Uint8Array(await readFile(path.join(FIXTURES, "chelsea.png")));
  return {
    [`${prefix}count_change/annotation.json`]: JSON.stringify({
      "1": { ori_img: "1.png", ins_en: "add one more cup [1 round]", explain_en: "two cups in the end" },
      "2": { ori_img: "2.png", ins_en: "remove the cat [1 round]" },
    }),
    [`${prefix}count_change/1.png`]: coffee,
    [`${prefix}count_change/2.png`]: chelsea,
    [`${prefix}chemistry/annotation.json`]: JSON.stringify({
      "7": { ori_img: "7.png", ins_en: "show the cup after adding iodine to starch [1 round]", explain_en: "the liquid turns deep blue" },
    }),
    [`${prefix}chemistry/7.png`]: coffee,
    [`${prefix}multi-element_composition/annotation.json`]: JSON.stringify({
      "1": { ori_img: ["1_a.png", "1_b.png"], ins_en: "put the cat in the cup" },
    }),
    [`${prefix}multi-element_composition/1_a.png`]: coffee,
    [`${prefix}multi-element_composition/1_b.png`]: chelsea,
  };
}
