import { describe, expect, it } from 'vitest'
import {
  applyLocally, currentVisit, customerHasSigned, evict, InvalidMutation, jobOf, signatureProblem, validate,
  validateOnReplica, withBase, type View,
} from '../src/mutators'
import { slaOf } from '../src/sla'

const JOB = '01a21961-6594-728d-a6fe-61e3a96f3413'
const PART = '01a21961-6563-7437-b13d-5306c19bb478'
const LINE = '9f6fdb24-4d7b-4aa0-9933-323abec3a9cb'
const VAN = '01a21961-63bf-7372-871d-281cd4194422'

function replica(): View {
  return new Map<string, Record<string, never>>([
    [`jobs:${JOB}`, { id: JOB, status: 'assigned', diagnosis: '', cause: 'old', acknowledged_at: null } as never],
    [`stock_levels:${VAN}:${PART}`, { location_id: VAN, part_id: PART, quantity: '5.000' } as never],
    [`parts:${PART}`, { id: PART, code: 'P-1', name: 'x' } as never],
  ])
}

const sig = (n: number, step: number) => ({
  width: 600, height: 200,
  strokes: [Array.from({ length: n }, (_, i) => ({ x: 10 + i * step, y: 50, t: i * 16, p: 0.5 }))],
})

describe('mutators apply the change on the device at once', () => {
  it('job.status moves the status and shows the trip the server will log', () => {
    const view = replica()
    applyLocally(view, 'job.status', { job_id: JOB, to: 'on_site', base_status: 'assigned' }, '2026-11-26T10:00:00Z')
    expect(view.get(`jobs:${JOB}`)!.status).toBe('on_site')
    const trips = [...view.values()].filter((r) => r.kind === 'arrived')
    expect(trips).toHaveLength(1)
  })

  it('job.status stamps the arrival as the server will, so the on-site clock stops offline', () => {
    const view = replica()
    const due = { on_site_due_at: '2026-11-26T09:00:00Z', on_site_at_risk_at: '2026-11-26T05:00:00Z', plan_given_at: '2026-11-25T09:00:00Z' }
    view.set(`jobs:${JOB}`, { ...view.get(`jobs:${JOB}`)!, ...due, arrived_at: null, completed_at: null })
    const now = new Date('2026-11-26T10:00:00Z')
    applyLocally(view, 'job.status', { job_id: JOB, to: 'on_site', base_status: 'assigned' }, '2026-11-26T08:30:00Z')
    const job = view.get(`jobs:${JOB}`)!
    // handlers.apply_status: on_site sets arrived_at if it is empty.
    expect(job.arrived_at).toBe('2026-11-26T08:30:00Z')
    expect(slaOf(job, now).state).not.toBe('overdue')
    applyLocally(view, 'job.status', { job_id: JOB, to: 'waiting_parts', base_status: 'on_site' }, '2026-11-26T09:00:00Z')
    applyLocally(view, 'job.status', { job_id: JOB, to: 'work_done', base_status: 'waiting_parts' }, '2026-11-26T11:00:00Z')
    // The first arrival stays; work_done stamps completed_at.
    expect(view.get(`jobs:${JOB}`)).toMatchObject({ arrived_at: '2026-11-26T08:30:00Z', completed_at: '2026-11-26T11:00:00Z' })
  })

  it('job.record sets the fields; job.accept stamps the acknowledgement once', () => {
    const view = replica()
    applyLocally(view, 'job.record', { job_id: JOB, fields: { diagnosis: 'A' }, base: { diagnosis: '' } })
    applyLocally(view, 'job.accept', { job_id: JOB })
    expect(view.get(`jobs:${JOB}`)).toMatchObject({ diagnosis: 'A', cause: 'old', acknowledged_at: 'pending' })
  })

  it('part lines: add takes from the van, change moves the difference, remove gives it back', () => {
    const view = replica()
    applyLocally(view, 'part_line.add', { id: LINE, job_id: JOB, part_id: PART, quantity: '2', billing: 'warranty', source: 'van' })
    expect(view.get(`part_lines:${LINE}`)).toMatchObject({ job_id: JOB, quantity: '2', pending: true, removed_at: null })
    expect(view.get(`stock_levels:${VAN}:${PART}`)!.quantity).toBe('3.000')
    applyLocally(view, 'part_line.change', { id: LINE, fields: { quantity: '3' }, base: { quantity: '2' } })
    expect(view.get(`stock_levels:${VAN}:${PART}`)!.quantity).toBe('2.000')
    applyLocally(view, 'part_line.remove', { id: LINE })
    expect(view.get(`part_lines:${LINE}`)!.removed_at).toBe('pending')
    expect(view.get(`stock_levels:${VAN}:${PART}`)!.quantity).toBe('5.000')
  })

  it('base is the value on the device just before the edit, own unsent edits included', () => {
    const view = replica()
    const first = withBase(view, 'job.record', { job_id: JOB, fields: { diagnosis: 'A' } })
    expect(first.base).toEqual({ diagnosis: '' })
    applyLocally(view, 'job.record', first)
    const second = withBase(view, 'job.record', { job_id: JOB, fields: { diagnosis: 'B' } })
    expect(second.base).toEqual({ diagnosis: 'A' })
    const never = withBase(view, 'job.record', { job_id: JOB, fields: { advice: 'x' } })
    expect(never.base).toEqual({ advice: null })
    expect(withBase(view, 'job.status', { job_id: JOB, to: 'en_route' }).base_status).toBe('assigned')
  })

  it('an eviction drops the job and its children, nothing else', () => {
    const view = replica()
    applyLocally(view, 'photo.add', { id: LINE, job_id: JOB, blob_sha256: 'a'.repeat(64), category: 'before' })
    evict(view, JOB)
    expect(view.has(`jobs:${JOB}`)).toBe(false)
    expect(view.has(`photos:${LINE}`)).toBe(false)
    expect(view.has(`parts:${PART}`)).toBe(true)
  })

  it('finds the job of a part line mutation through the line', () => {
    const view = replica()
    applyLocally(view, 'part_line.add', { id: LINE, job_id: JOB, part_id: PART, quantity: '1', billing: 'warranty' })
    expect(jobOf(view, 'part_line.remove', { id: LINE })).toBe(JOB)
  })
})

describe('validation when queued (protocol 4.8)', () => {
  it('refuses what the server would reject', () => {
    expect(() => validate('job.teleport', { job_id: JOB })).toThrow(InvalidMutation)
    expect(() => validate('job.record', { job_id: JOB, fields: { unit_price: '1' }, base: {} })).toThrow(/not a field/)
    expect(() => validate('part_line.add', { id: LINE, job_id: JOB, part_id: PART, quantity: '0', billing: 'warranty' })).toThrow(/quantity/)
    // A fourth decimal would be rounded away on the server, and the signed hash never match.
    expect(() => validate('part_line.add', { id: LINE, job_id: JOB, part_id: PART, quantity: '0.0005', billing: 'warranty' })).toThrow(/quantity/)
    expect(() => validate('part_line.change', { id: LINE, fields: { quantity: '1.2345' }, base: {} })).toThrow(/quantity/)
    expect(() => validate('satisfaction.add', { id: LINE, job_id: JOB, score: 6 })).toThrow(/score/)
    expect(() => validate('job.accept', { job_id: 'nope' })).toThrow(/UUID/)
  })

  it('accepts well-formed mutations', () => {
    validate('job.status', { job_id: JOB, to: 'on_site', base_status: 'assigned' })
    validate('part_line.add', { id: LINE, job_id: JOB, part_id: PART, quantity: '1.5', billing: 'chargeable', source: 'van', note: '' })
    validate('signature.add', { id: LINE, job_id: JOB, signer_role: 'customer', signer_name: '赵', strokes: sig(8, 10), content_sha256: 'b'.repeat(64) })
  })

  it('refuses a signature under 8 points or 60 px of line, as the server does', () => {
    expect(signatureProblem(sig(7, 20))).toMatch(/too short/)
    expect(signatureProblem(sig(20, 1))).toMatch(/too short/)
    expect(signatureProblem({ strokes: [] })).toMatch(/empty/)
    expect(signatureProblem(sig(8, 10))).toBeNull()
  })
})

describe('the current visit (a job reopened for a new visit, 重新派修)', () => {
  const sig = (id: string, role: string, superseded_at: string | null) => ({ id, job_id: JOB, signer_role: role, superseded_at })
  const rating = (id: string, source: string, at: string, pending = false) => ({ id, job_id: JOB, source, at, score: 4, pending })

  it('is signed and rated afresh once the last visit was set aside', () => {
    const first = '2026-11-20T08:00:00+00:00'
    const reopened = '2026-11-25T08:00:00+00:00'
    const signatures = [sig('a', 'customer', reopened), sig('b', 'engineer', reopened)]
    const ratings = [rating('r1', 'on_site', first), rating('r2', 'callback', '2026-11-24T08:00:00+00:00')]
    expect(currentVisit(signatures, ratings)).toEqual({ signed: [], ratings: [] })
    const signedAgain = [...signatures, sig('c', 'customer', null)]
    const rated = [...ratings, rating('r3', 'on_site', '2026-11-26T08:00:00+00:00'), { id: 'r4', job_id: JOB, score: 5, pending: true }]
    const visit = currentVisit(signedAgain, rated)
    expect(visit.signed.map((s) => s.id)).toEqual(['c'])
    expect(visit.ratings.map((r) => r.id)).toEqual(['r3', 'r4'])
  })

  it('of a job never reopened is all of its signatures and on-site ratings', () => {
    const visit = currentVisit([sig('a', 'customer', null)], [rating('r1', 'on_site', '2026-11-20T08:00:00+00:00'), rating('r2', 'callback', '2026-11-24T08:00:00+00:00'), rating('r5', 'link', '2026-11-25T08:00:00+00:00')])
    expect(visit.signed.map((s) => s.id)).toEqual(['a'])
    expect(visit.ratings.map((r) => r.id)).toEqual(['r1'])
  })
})

describe('the customer signs after "work done"', () => {
  it('is offered only while the job is at work_done, the one status the server signs from', async () => {
    const { customerMaySign } = await import('../src/mutators')
    expect(customerMaySign({ status: 'work_done' })).toBe(true)
    for (const status of ['assigned', 'en_route', 'on_site', 'waiting_parts', 'signed', 'cancelled']) {
      expect(customerMaySign({ status })).toBe(false)
    }
    expect(customerMaySign(undefined)).toBe(false)
  })
})

describe('a photo removed or changed on the phone', () => {
  const PHOTO = '01a21961-6600-7000-8000-000000000001'
  const added = () => {
    const view = replica()
    applyLocally(view, 'photo.add', { id: PHOTO, job_id: JOB, blob_sha256: 'a'.repeat(64), category: 'before', caption: '' })
    return view
  }
  const signature = (id: string, role: string, superseded_at: string | null = null) =>
    [`signatures:${id}`, { id, job_id: JOB, signer_role: role, superseded_at }] as const

  it('remove marks it removed at once, and removing it again changes nothing', () => {
    const view = added()
    applyLocally(view, 'photo.remove', { id: PHOTO })
    expect(view.get(`photos:${PHOTO}`)).toMatchObject({ removed_at: 'pending', category: 'before' })
    view.set(`photos:${PHOTO}`, { ...view.get(`photos:${PHOTO}`)!, removed_at: '2026-11-26T03:00:00Z' }) // as pulled back
    applyLocally(view, 'photo.remove', { id: PHOTO })
    expect(view.get(`photos:${PHOTO}`)!.removed_at).toBe('2026-11-26T03:00:00Z')
  })

  it('change shows the new category and caption at once, the rest kept', () => {
    const view = added()
    applyLocally(view, 'photo.change', { id: PHOTO, fields: { category: 'defect' }, base: { category: 'before' } })
    applyLocally(view, 'photo.change', { id: PHOTO, fields: { caption: '端子烧蚀' }, base: { caption: '' } })
    expect(view.get(`photos:${PHOTO}`)).toMatchObject({ category: 'defect', caption: '端子烧蚀', blob_sha256: 'a'.repeat(64) })
  })

  it('change sends a base for the changed fields only, as the phone showed them just before', () => {
    const view = added()
    const first = withBase(view, 'photo.change', { id: PHOTO, fields: { category: 'defect' } })
    expect(first).toEqual({ id: PHOTO, fields: { category: 'defect' }, base: { category: 'before' } })
    applyLocally(view, 'photo.change', first)
    const second = withBase(view, 'photo.change', { id: PHOTO, fields: { category: 'after', caption: 'x' } })
    expect(second.base).toEqual({ category: 'defect', caption: '' }) // own unsent edit included, as part_line.change
    view.set(`photos:${PHOTO}`, { ...view.get(`photos:${PHOTO}`)!, caption: null })
    expect(withBase(view, 'photo.change', { id: PHOTO, fields: { caption: 'y' } }).base).toEqual({ caption: null })
  })

  it('both concern the job of the photo, which they name only by its id', () => {
    const view = added()
    expect(jobOf(view, 'photo.remove', { id: PHOTO })).toBe(JOB)
    expect(jobOf(view, 'photo.change', { id: PHOTO, fields: { caption: 'x' } })).toBe(JOB)
    expect(jobOf(view, 'photo.remove', { id: LINE })).toBeNull()
  })

  it('are refused when queued if the server would refuse them', () => {
    validate('photo.remove', { id: PHOTO })
    validate('photo.change', { id: PHOTO, fields: { category: 'nameplate', caption: 'x'.repeat(200) }, base: { category: 'before', caption: '' } })
    expect(() => validate('photo.remove', { id: 'p1' })).toThrow(/UUID/)
    expect(() => validate('photo.change', { id: PHOTO, fields: { category: 'selfie' }, base: {} })).toThrow(/category/)
    expect(() => validate('photo.change', { id: PHOTO, fields: { caption: 'x'.repeat(201) }, base: {} })).toThrow(/caption/)
    expect(() => validate('photo.change', { id: PHOTO, fields: { blob_sha256: 'b'.repeat(64) }, base: {} })).toThrow(/unknown field/)
    expect(() => validate('photo.change', { id: PHOTO, fields: {}, base: {} })).toThrow(/nothing to change/)
  })

  it('are refused on the phone once the customer has signed, even before the signature is sent', () => {
    const view = added()
    validateOnReplica(view, 'photo.change', { id: PHOTO, fields: { caption: 'x' } })
    view.set(...signature('s1', 'engineer'))
    validateOnReplica(view, 'photo.remove', { id: PHOTO }) // the engineer's own signature binds no one
    applyLocally(view, 'signature.add', { id: 's2', job_id: JOB, signer_role: 'customer', signer_name: '赵' })
    expect(customerHasSigned(view, JOB)).toBe(true)
    for (const name of ['photo.remove', 'photo.change']) {
      expect(() => validateOnReplica(view, name, { id: PHOTO, fields: { caption: 'x' } })).toThrow(
        'the customer has signed the report with this photo in it',
      )
    }
  })

  it('are offered again for a new visit, whose signature is still to be taken', () => {
    const view = added()
    view.set(...signature('s1', 'customer', '2026-11-25T08:00:00Z')) // set aside when the job was reopened
    expect(customerHasSigned(view, JOB)).toBe(false)
    validateOnReplica(view, 'photo.remove', { id: PHOTO })
  })

  it('a removed or unknown photo cannot be changed', () => {
    const view = added()
    applyLocally(view, 'photo.remove', { id: PHOTO })
    expect(() => validateOnReplica(view, 'photo.change', { id: PHOTO, fields: { caption: 'x' } })).toThrow('the photo was removed')
    expect(() => validateOnReplica(view, 'photo.remove', { id: LINE })).toThrow('unknown photo')
  })
})
