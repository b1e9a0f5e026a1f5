// What the dispatch board offers for a job, as the server's lifecycle allows it
// (sync/rules/lifecycle.py: the moves to `assigned` and to `cancelled`).

/** Statuses with a visit still to come: the server takes (re)assign and cancel from each, and
 * a visit time means something. From work done on it refuses both (409). */
export const VISIT_AHEAD: readonly string[] = [
  'reported', 'accepted', 'assigned', 'en_route', 'on_site', 'waiting_parts', 'reopened',
]

export interface BoardActions {
  /** Assign, or reassign when an engineer is named. */
  dispatch: boolean
  /** Set the visit time (only where the row offers it). */
  schedule: boolean
  cancel: boolean
  /** A settled job is on the board for its call-back: record it on the follow-up screen. */
  callBack: boolean
}

export function boardActions(status: string): BoardActions {
  const ahead = VISIT_AHEAD.includes(status)
  return { dispatch: ahead, schedule: ahead, cancel: ahead, callBack: status === 'settled' }
}
