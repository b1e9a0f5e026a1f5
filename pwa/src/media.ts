// Photos shrunk on the device before they are kept and uploaded.
import { sha256Hex } from './canonical'

export const MAX_EDGE = 2048

/** The size that fits within max×max, keeping the aspect ratio (never enlarged). */
export function fitWithin(width: number, height: number, max = MAX_EDGE): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height))
  return { width: Math.round(width * scale), height: Math.round(height * scale) }
}

/** A JPEG at most 2048 px on its longest edge, upright (EXIF orientation applied). */
export async function shrinkPhoto(file: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' })
  const size = fitWithin(bitmap.width, bitmap.height)
  const canvas = document.createElement('canvas')
  canvas.width = size.width
  canvas.height = size.height
  const ctx = canvas.getContext('2d')
  if (!ctx) throw new Error('no 2D canvas')
  ctx.drawImage(bitmap, 0, 0, size.width, size.height)
  bitmap.close()
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the photo could not be encoded'))), 'image/jpeg', 0.85),
  )
}

export async function hashBlob(blob: Blob): Promise<string> {
  return sha256Hex(await blob.arrayBuffer())
}
