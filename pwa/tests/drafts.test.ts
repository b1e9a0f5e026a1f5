import { describe, expect, it } from 'vitest'
import { draftsOf, dropDraft, forgetDraft, keepDraft, unqueued } from '../src/drafts'

/** localStorage's interface over a Map. */
class MemoryStorage implements Storage {
  private items = new Map<string, string>()
  get length() {
    return this.items.size
  }
  clear() {
    this.items.clear()
  }
  getItem(k: string) {
    return this.items.get(k) ?? null
  }
  key(i: number) {
    return [...this.items.keys()][i] ?? null
  }
  removeItem(k: string) {
    this.items.delete(k)
  }
  setItem(k: string, v: string) {
    this.items.set(k, v)
  }
}

describe('record text kept while it is typed', () => {
  it('keeps the latest text and the base of the first keystroke', () => {
    const s = new MemoryStorage()
    keepDraft(s, 'dev', 'job1', 'advice', '每', '旧的')
    keepDraft(s, 'dev', 'job1', 'advice', '每季度检查', '每') // the replica moved under the typing
    keepDraft(s, 'dev', 'job1', 'cause', '缺相', null)
    expect(draftsOf(s, 'dev')).toEqual([
      { jobId: 'job1', fields: { advice: '每季度检查', cause: '缺相' }, base: { advice: '旧的', cause: null } },
    ])
    expect(draftsOf(s, 'other-device')).toEqual([])
  })
  it('forgets what was queued, not what was typed since', () => {
    const s = new MemoryStorage()
    keepDraft(s, 'dev', 'job1', 'advice', '每季度', '')
    keepDraft(s, 'dev', 'job1', 'cause', '缺相', '')
    keepDraft(s, 'dev', 'job1', 'cause', '缺相运行', '')
    dropDraft(s, 'dev', 'job1', { advice: '每季度', cause: '缺相' })
    expect(draftsOf(s, 'dev')).toEqual([{ jobId: 'job1', fields: { cause: '缺相运行' }, base: { cause: '' } }])
    dropDraft(s, 'dev', 'job1', { cause: '缺相运行' })
    expect(draftsOf(s, 'dev')).toEqual([])
    expect(s.length).toBe(0)
  })
  it('queues the fields unchanged since the typing began, and sets aside those changed meanwhile', () => {
    const draft = { jobId: 'j', fields: { advice: 'A', cause: 'B', diagnosis: 'C' }, base: { advice: '', cause: 'old', diagnosis: null } }
    const replica: Record<string, string | null> = { advice: 'A', cause: 'office changed it', diagnosis: null }
    expect(unqueued(draft, (f) => replica[f] ?? null)).toEqual({ fields: { diagnosis: 'C' }, aside: { cause: 'B' } })
    // Nothing changed under it: all of it is the record's edit (an absent value is empty).
    expect(unqueued(draft, (f) => ({ advice: '', cause: 'old', diagnosis: '' })[f] ?? null)).toEqual({
      fields: { advice: 'A', cause: 'B', diagnosis: 'C' }, aside: {},
    })
  })
  it('reads no storage where the browser blocks it', async () => {
    const { localStore } = await import('../src/drafts')
    const blocked = Object.getOwnPropertyDescriptor(globalThis, 'localStorage')
    Object.defineProperty(globalThis, 'localStorage', { configurable: true, get: () => { throw new Error('SecurityError') } })
    try {
      expect(localStore()).toBeNull()
    } finally {
      if (blocked) Object.defineProperty(globalThis, 'localStorage', blocked)
      else delete (globalThis as { localStorage?: unknown }).localStorage
    }
  })
  it('survives a broken entry and forgets a job entirely', () => {
    const s = new MemoryStorage()
    s.setItem('fieldsync-draft:dev:bad', '{not json')
    keepDraft(s, 'dev', 'job2', 'advice', 'x', '')
    expect(draftsOf(s, 'dev').map((d) => d.jobId)).toEqual(['job2'])
    forgetDraft(s, 'dev', 'job2')
    expect(draftsOf(s, 'dev')).toEqual([])
  })
})
