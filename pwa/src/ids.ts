/**
 * UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids made on the phone
 * (mutations, notes, photos, part lines …) sort by the time they were made, so the server's
 * indexes grow at one end instead of taking a page write at a random place for every row.
 * Within one millisecond a 12-bit counter keeps them in order.
 */
let lastMs = 0
let counter = 0

export function uuid7(now: number = Date.now()): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  let ms = Math.floor(now)
  if (ms <= lastMs) {
    counter += 1
    if (counter > 0xfff) {
      lastMs += 1
      counter = 0
    }
    ms = lastMs
  } else {
    lastMs = ms
    counter = ((bytes[6] & 0x07) << 8) | bytes[7] // a random start, leaving room to count up
  }
  for (let i = 5; i >= 0; i -= 1) {
    bytes[i] = ms % 256
    ms = Math.floor(ms / 256)
  }
  bytes[6] = 0x70 | ((counter >> 8) & 0x0f)
  bytes[7] = counter & 0xff
  bytes[8] = 0x80 | (bytes[8] & 0x3f)
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
