import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { boardActions, VISIT_AHEAD } from '../src/office/dispatch'

const STATUSES = [
  'reported', 'accepted', 'assigned', 'en_route', 'on_site', 'waiting_parts', 'work_done', 'signed',
  'reviewed', 'settled', 'followed_up', 'closed', 'cancelled', 'reopened',
]

describe('board actions', () => {
  it.each([
    ['reported', { dispatch: true, schedule: true, cancel: true, callBack: false }],
    ['on_site', { dispatch: true, schedule: true, cancel: true, callBack: false }],
    ['reopened', { dispatch: true, schedule: true, cancel: true, callBack: false }],
    ['work_done', { dispatch: false, schedule: false, cancel: false, callBack: false }],
    ['signed', { dispatch: false, schedule: false, cancel: false, callBack: false }],
    // At risk for its call-back: reassign / schedule / cancel mean nothing; the call-back does.
    ['settled', { dispatch: false, schedule: false, cancel: false, callBack: true }],
    ['followed_up', { dispatch: false, schedule: false, cancel: false, callBack: false }],
  ])('offers for a %s job only what the server takes', (status, expected) => {
    expect(boardActions(status)).toEqual(expected)
  })

  it('dispatches and cancels from exactly the statuses the lifecycle moves to assigned and cancelled', () => {
    const rules = readFileSync(join(__dirname, '../../sync/rules/lifecycle.py'), 'utf8')
    const toAssigned = [...rules.matchAll(/Transition\(_S\.(\w+), _S\.ASSIGNED,/g)].map((m) => m[1].toLowerCase())
    const cancellable = [...rules.match(/_CANCELLABLE = \(([^)]*)\)/)![1].matchAll(/_S\.(\w+)/g)].map((m) => m[1].toLowerCase())
    // A reassignment keeps an assigned job's status (api/domain/jobs/services.py assign).
    expect(new Set([...toAssigned, 'assigned'])).toEqual(new Set(VISIT_AHEAD))
    expect(new Set(cancellable)).toEqual(new Set(VISIT_AHEAD))
  })
})
