/**
 * An image as a data URL within OpenAI's vision limits: high-detail images are scaled to fit
 * 2048 × 2048 and then to 768 px on their short side, so anything larger is only sent bigger, not
 * seen better (https://platform.openai.com/docs/guides/images-vision). Re-encoded as JPEG (PNG when
 * it has transparency), which also drops metadata (EXIF locations) before it leaves. sharp (and
 * its native libvips) is loaded on the first image with vision on: other processes never hold it.
 */
export const MAX_LONG_SIDE = 2048;
export const MAX_SHORT_SIDE = 768;

export const imageDataUrl = async (
  bytes: Uint8Array,
): Promise<{ url: string; width: number; height: number }> => {
  const { default: sharp } = await import('sharp');
  // Only the first frame of a GIF or WebP animation; bounded input size against decompression bombs.
  const img = sharp(bytes, { limitInputPixels: 50_000_000, animated: false });
  const meta = await img.metadata();
  // EXIF orientations 5-8 turn the picture a quarter: its shown width is the stored height.
  const turned = (meta.orientation ?? 1) >= 5;
  const w = (turned ? meta.height : meta.width) ?? MAX_SHORT_SIDE;
  const h = (turned ? meta.width : meta.height) ?? MAX_SHORT_SIDE;
  const scale = Math.min(1, MAX_LONG_SIDE / Math.max(w, h), MAX_SHORT_SIDE / Math.min(w, h));
  const width = Math.max(1, Math.round(w * scale));
  const height = Math.max(1, Math.round(h * scale));
  const resized = img.rotate().resize(width, height, { fit: 'inside', withoutEnlargement: true });
  const png = meta.hasAlpha === true;
  const out = png
    ? await resized.png({ compressionLevel: 9 }).toBuffer()
    : await resized.jpeg({ quality: 85 }).toBuffer();
  return { url: `data:image/${png ? 'png' : 'jpeg'};base64,${out.toString('base64')}`, width, height };
};
