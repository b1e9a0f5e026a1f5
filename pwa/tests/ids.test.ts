import { describe, expect, it } from 'vitest'
import { uuid7 } from '../src/ids'

const FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('uuid7', () => {
  it('is a version 7, RFC variant UUID carrying the time in its first 48 bits', () => {
    const at = Date.UTC(2026, 10, 27, 5, 0, 0, 123)
    const id = uuid7(at + 60_000) // later than anything made before in this test run
    expect(id).toMatch(FORM)
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16)
    expect(ms).toBe(at + 60_000)
  })

  it('sorts in the order made, within one millisecond too', () => {
    const at = Date.UTC(2027, 0, 1)
    const ids = Array.from({ length: 5000 }, () => uuid7(at))
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
    ids.forEach((id) => expect(id).toMatch(FORM))
  })

  it('never goes back when the clock does', () => {
    const first = uuid7(Date.UTC(2028, 0, 1))
    const second = uuid7(Date.UTC(2027, 6, 1))
    expect(second > first).toBe(true)
  })
})
