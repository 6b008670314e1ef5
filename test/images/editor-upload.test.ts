import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { uploadAsJpeg } from "../../src/images/editor-upload.js";
import type { EditRequest, Picture } from "../../src/loop/types.js";

async function photoPicture(): Promise<Picture> {
  const bytes = await sharp(new URL("../../fixtures/coffee.png", import.meta.url).pathname).resize(1248, 832).png().toBuffer();
  return { bytes, mimeType: "image/png", width: 1248, height: 832 };
}

describe("the editor upload", () => {
  it("sends the editor a same-size quality-95 JPEG, several times smaller than the loop's PNG, encoded once per picture", async () => {
    const received: EditRequest[] = [];
    const editor = uploadAsJpeg({
      edit: async (request) => {
        received.push(request);
        return { image: request.image, ms: 0 };
      },
    });
    const picture = await photoPicture();
    await editor.edit({ image: picture, instruction: "a", seed: 1 });
    await editor.edit({ image: picture, instruction: "b", seed: 2 });
    const [first, second] = received;
    expect(first!.image.mimeType).toBe("image/jpeg");
    expect((await sharp(first!.image.bytes).metadata()).format).toBe("jpeg");
    expect([first!.image.width, first!.image.height]).toEqual([1248, 832]);
    expect(picture.bytes.length / first!.image.bytes.length).toBeGreaterThan(4);
    expect(second!.image).toBe(first!.image);
  });
});
