// The console keeps its tokens in sessionStorage: a Map stands in for it under Node. Import
// this before the console's modules; `store` is the Map, `USER` a dispatcher.
import { vi } from 'vitest'

export const store = new Map<string, string>()
vi.stubGlobal('sessionStorage', {
  getItem: (k: string) => store.get(k) ?? null,
  setItem: (k: string, v: string) => void store.set(k, v),
  removeItem: (k: string) => void store.delete(k),
})

/** localStorage, where the console keeps this browser's device id of each user. */
export const kept = new Map<string, string>()
vi.stubGlobal('localStorage', {
  getItem: (k: string) => kept.get(k) ?? null,
  setItem: (k: string, v: string) => void kept.set(k, v),
  removeItem: (k: string) => void kept.delete(k),
})

export const USER = { id: 'u1', username: 'dispatcher1', display_name: '王芳', role: 'dispatcher' }
