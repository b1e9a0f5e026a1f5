import { describe, expect, it } from 'vitest'
import { changedText } from '../src/office/edits'

describe('changedText', () => {
  const stored = { name: '华东制冷', phone: '021-5555', notes: ' imported with spaces ' }
  const keys = ['name', 'phone', 'notes'] as const

  it('sends nothing for fields left as the form opened them, stored spaces and all', () => {
    expect(changedText(stored, { ...stored }, keys)).toEqual({})
  })

  it('sends an edited field trimmed', () => {
    expect(changedText(stored, { ...stored, phone: ' 021-6666 ' }, keys)).toEqual({ phone: '021-6666' })
    expect(changedText(stored, { ...stored, notes: 'imported with spaces' }, keys)).toEqual({ notes: 'imported with spaces' })
    expect(changedText(stored, { ...stored, name: '' }, keys)).toEqual({ name: '' })
  })

  it('does not count spaces typed around the stored text as a change', () => {
    expect(changedText(stored, { ...stored, name: ' 华东制冷  ' }, keys)).toEqual({})
  })

  it('looks only at the keys it is given', () => {
    const form = { ...stored, name: 'x', phone: 'y' }
    expect(changedText(stored, form, ['phone'] as const)).toEqual({ phone: 'y' })
  })
})
