import { describe, expect, it } from 'vitest'
import { reportState } from '../src/office/reports'

const now = 'a'.repeat(64)
const before = 'b'.repeat(64)
const customer = (hash: string, superseded_at: string | null = null) => ({ signer_role: 'customer', content_sha256: hash, superseded_at })
const engineer = (hash: string) => ({ signer_role: 'engineer', content_sha256: hash })
const issued = (revision: number, hash: string, signed = hash) => ({ revision, status: 'issued', content_sha256: hash, signed_content_sha256: signed })

describe('what the review page may do about the report', () => {
  it('issues a first report of content the customer signed', () => {
    expect(reportState(now, [customer(now), engineer(now)], [])).toEqual({
      signedOther: false, corrected: false, changedSinceIssued: false, mayIssue: true, needsCorrection: false,
    })
  })
  it('offers only a correction when the customer signed other content than the job holds', () => {
    expect(reportState(now, [customer(before)], [])).toEqual({
      signedOther: true, corrected: false, changedSinceIssued: false, mayIssue: false, needsCorrection: true,
    })
  })
  it('offers a correction when the job changed after its report, not before', () => {
    expect(reportState(now, [customer(now)], [issued(1, now)])).toMatchObject({ mayIssue: false, needsCorrection: false })
    expect(reportState(now, [customer(before)], [issued(1, before), { revision: 2, status: 'failed', content_sha256: now }])).toMatchObject({
      changedSinceIssued: true, needsCorrection: true, mayIssue: false,
    })
    // A correction issued already: the latest revision holds the content, nothing to do, and
    // the page says a correction covers it rather than asking for one.
    expect(reportState(now, [customer(before)], [issued(2, now, before), issued(1, before)])).toEqual({
      signedOther: false, corrected: true, changedSinceIssued: false, mayIssue: false, needsCorrection: false,
    })
  })
  it('issues a reopened job’s new visit as a report of its own, not a correction', () => {
    const visit2 = 'c'.repeat(64)
    expect(reportState(visit2, [customer(now, '2026-11-01T00:00:00Z'), customer(visit2)], [issued(1, now)])).toEqual({
      signedOther: false, corrected: false, changedSinceIssued: false, mayIssue: true, needsCorrection: false,
    })
  })
  it('does nothing without the customer’s current signature', () => {
    expect(reportState(now, [engineer(before)], [])).toMatchObject({ signedOther: false, mayIssue: false, needsCorrection: false })
    expect(reportState(now, [customer(before, '2026-11-01T00:00:00Z')], [])).toMatchObject({ signedOther: false, mayIssue: false })
  })
  it('claims nothing from a server that does not say the content’s hash', () => {
    expect(reportState('', [customer(before)], [])).toMatchObject({ signedOther: false, mayIssue: false, needsCorrection: false })
  })
})
