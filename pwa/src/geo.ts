// Where the phone is, for trip lines, photos and signatures: never blocks a tap for long,
// and never asks in the middle of one (the permission prompt is raised in the background).
export interface Position {
  latitude: number | null
  longitude: number | null
  accuracy_m: number | null
}

const NONE: Position = { latitude: null, longitude: null, accuracy_m: null }

export async function position(timeoutMs = 2000): Promise<Position> {
  if (typeof navigator === 'undefined' || !navigator.geolocation) return NONE
  let granted = false
  try {
    granted = (await navigator.permissions.query({ name: 'geolocation' })).state === 'granted'
  } catch {
    granted = false
  }
  if (!granted) {
    navigator.geolocation.getCurrentPosition(() => {}, () => {}, { timeout: 30_000 })
    return NONE
  }
  return new Promise((resolve) =>
    navigator.geolocation.getCurrentPosition(
      (p) =>
        resolve({
          latitude: Math.round(p.coords.latitude * 1e6) / 1e6,
          longitude: Math.round(p.coords.longitude * 1e6) / 1e6,
          accuracy_m: Math.min(100_000, Math.round(p.coords.accuracy)),
        }),
      () => resolve(NONE),
      { timeout: timeoutMs, maximumAge: 300_000, enableHighAccuracy: false },
    ),
  )
}
