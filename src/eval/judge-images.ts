// How the judge sees the images: `working` (the MLLM-sized JPEG every reasoning call gets) or `original`, GEdit-Bench's
// rendering: full size, PNG and images before the text for a Qwen judge (its Qwen2.5-VL path), JPEG after it otherwise.
import sharp from "sharp";
import type { Picture } from "../loop/types.js";
import { toMllmDataUrl } from "../images/shape.js";
import type { ChatContentPart, ChatModel } from "../providers/chat-model.js";
import type { JudgeImages } from "./eval-options.js";

export interface JudgeRendering {
  encodeImage: (picture: Picture) => Promise<string>;
  imagesFirst: boolean;
}

/** GEdit's released scorer sends images first only on its Qwen2.5-VL path; its GPT-4.1 path sends the text first. */
export function isQwenJudge(model: string): boolean {
  return /qwen/i.test(model);
}

export function judgeRendering(mode: JudgeImages, model: string): JudgeRendering {
  if (mode === "working") return { encodeImage: toMllmDataUrl, imagesFirst: false };
  const qwen = isQwenJudge(model);
  return { encodeImage: (picture) => fullSizeDataUrl(picture, qwen ? "png" : "jpeg"), imagesFirst: qwen };
}

/** The picture at its own size (the source as read, the result as written: the input's size). */
export async function fullSizeDataUrl(picture: Picture, format: "png" | "jpeg"): Promise<string> {
  if (format === "png" && picture.mimeType === "image/png") return `data:image/png;base64,${Buffer.from(picture.bytes).toString("base64")}`;
  const image = sharp(picture.bytes).flatten({ background: "#ffffff" });
  const bytes = format === "png" ? await image.png().toBuffer() : await image.jpeg({ quality: 95 }).toBuffer();
  return `data:image/${format};base64,${bytes.toString("base64")}`;
}

/** Moves every message's images before its text, keeping each group's order. */
export function imagesFirstChatModel(inner: ChatModel): ChatModel {
  const reorder = (content: string | ChatContentPart[]) =>
    typeof content === "string" ? content : [...content.filter((part) => part.type === "image_url"), ...content.filter((part) => part.type !== "image_url")];
  return {
    id: inner.id,
    complete: (request, signal) => inner.complete({ ...request, messages: request.messages.map((message) => ({ ...message, content: reorder(message.content) })) }, signal),
    ...(inner.forget ? { forget: inner.forget.bind(inner) } : {}),
  };
}
