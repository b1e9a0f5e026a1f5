import { describe, expect, it, vi } from 'vitest'

vi.stubGlobal('navigator', { languages: ['en'] })

const { contactOnMove, draftOf, jobPatch, rebase } = await import('../src/office/job-desk')
const { messages } = await import('../src/office/i18n')
type JobDetail = import('../src/office/types').JobDetail
type JobDraft = import('../src/office/job-desk').JobDraft
type Contact = import('../src/office/types').Contact

const opened: JobDraft = {
  customer_id: 'c-old', fault_description: '机组报警 E4', urgency: 'normal', contact_name: '钱先生',
  contact_phone: '13900002222', office_notes: '', handling_plan: '', site_id: 's-old', asset_id: 'a-old',
}

describe('the desk edits a job', () => {
  it('reads the form from the job, no site or equipment as empty', () => {
    const detail = {
      job: { customer_id: 'c', fault_description: 'f', urgency: 'high', site_id: null, asset_id: 'a' },
      contact_name: 'n', contact_phone: 'p', office_notes: 'o', handling_plan: 'h',
    } as unknown as JobDetail
    expect(draftOf(detail)).toEqual({
      customer_id: 'c', fault_description: 'f', urgency: 'high', contact_name: 'n', contact_phone: 'p',
      office_notes: 'o', handling_plan: 'h', site_id: '', asset_id: 'a',
    })
  })

  it('sends only the fields changed, with the version read, and nothing when none changed', () => {
    expect(jobPatch(opened, { ...opened }, 4)).toBeNull()
    expect(jobPatch(opened, { ...opened, urgency: 'high', asset_id: '' }, 4)).toEqual({ urgency: 'high', asset_id: null, version: 4 })
  })

  it("names the new customer's site and equipment, or none, with a move", () => {
    expect(jobPatch(opened, { ...opened, customer_id: 'c-new', site_id: '', asset_id: '' }, 2)).toEqual({
      customer_id: 'c-new', site_id: null, asset_id: null, version: 2,
    })
  })
})

describe('a save refused because the job changed meanwhile', () => {
  // The engineer's phone arrived on site and a colleague wrote a plan while the desk typed.
  const now: JobDraft = { ...opened, handling_plan: '明早上门', office_notes: '客户催修' }

  it("keeps what the desk typed and takes the rest as the job now is, so nobody's change is undone", () => {
    const typed = { ...opened, urgency: 'critical', contact_phone: '13900003333' }
    expect(rebase(opened, typed, now)).toEqual({ ...now, urgency: 'critical', contact_phone: '13900003333' })
    // The desk typed the same field as the colleague: the desk's value stays in the form, to check.
    expect(rebase(opened, { ...opened, office_notes: '已致电' }, now).office_notes).toBe('已致电')
    // Nothing typed: the form is the job as it now is.
    expect(rebase(opened, { ...opened }, now)).toEqual(now)
  })

  it("keeps the site and equipment of the desk's new customer, not a site of the old one", () => {
    const moved = { ...opened, customer_id: 'c-new', site_id: '', asset_id: '' }
    const elsewhere = { ...opened, site_id: 's-old-2', asset_id: 'a-old-2' }
    const kept = rebase({ ...opened, site_id: '', asset_id: '' }, moved, elsewhere)
    expect([kept.customer_id, kept.site_id, kept.asset_id]).toEqual(['c-new', '', ''])
  })

  it('says the change may have come from the engineer’s phone, not only a colleague, and that nothing was saved', () => {
    expect(messages.en.jobDesk.changedMeanwhile).toMatch(/engineer’s phone/)
    expect(messages.en.jobDesk.changedMeanwhile).toMatch(/nothing was saved/)
    expect(messages.en.jobDesk.changedMeanwhile).not.toMatch(/^A colleague saved/)
    expect(messages['zh-CN'].jobDesk.changedMeanwhile).toMatch(/工程师手机/)
    expect(messages['zh-CN'].jobDesk.changedMeanwhile).toMatch(/未保存/)
  })
})

describe('the contact of a job filed under another customer', () => {
  const contact = (name: string, phone: string): Contact => ({ id: name, name, phone, email: '', title: '' })
  const old = [contact('钱先生', '139-0000-2222'), contact('孙工', '13800001111')]
  const theirs = [contact('李经理', '13700009999'), contact('周工', '13600008888')]

  it("becomes the new customer's first contact when it was one of the old customer's", () => {
    expect(contactOnMove({ name: '钱先生', phone: '' }, old, theirs)).toEqual({ name: '李经理', phone: '13700009999' })
    // The same number written otherwise, under a name the caller gave.
    expect(contactOnMove({ name: '钱', phone: '139 0000 2222' }, old, theirs)).toEqual({ name: '李经理', phone: '13700009999' })
    expect(contactOnMove({ name: ' 孙工 ', phone: '' }, old, theirs)?.name).toBe('李经理')
  })

  it("stays when it is the caller's own, when it is empty, or when the new customer has no contact", () => {
    expect(contactOnMove({ name: '赵女士', phone: '13500007777' }, old, theirs)).toBeNull()
    expect(contactOnMove({ name: '', phone: '' }, [contact('', '')], theirs)).toBeNull()
    expect(contactOnMove({ name: '钱先生', phone: '13900002222' }, old, [])).toBeNull()
  })

  it('is named in the confirmation of the move, in both languages', () => {
    for (const locale of ['en', 'zh-CN'] as const) {
      const words = messages[locale].jobDesk
      expect([locale, words.moveContact.includes('{to}') && words.moveContact.includes('{from}'), typeof words.contactOffered]).toEqual([
        locale, true, 'string',
      ])
    }
  })
})
