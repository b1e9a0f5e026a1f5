// Read helpers over the replica view for the screens.
import { computed, type Ref } from 'vue'
import type { Json } from './db'
import { key, type Rec } from './mutators'
import { state, view } from './store'
import { departmentAt, departmentDate, departmentShortDue, departmentShortTime } from './department'

export const str = (v: Json | undefined): string => (v === null || v === undefined ? '' : String(v))

export function entities(entity: string): Rec[] {
  const out: Rec[] = []
  for (const [k, r] of view.value) if (k.startsWith(entity + ':')) out.push(r)
  return out
}

export function get(entity: string, id: Json | undefined): Rec | undefined {
  return id ? view.value.get(key(entity, String(id))) : undefined
}

/** The open conflicts of this phone's user (of one job, or all): a job taken over from another
 * engineer brings that engineer's conflicts with it, which the office decides; they were not
 * this engineer's work, and the phone's words ("while you worked offline") would be wrong. */
export function openConflicts(jobId?: string): Rec[] {
  const me = state.user?.id
  return entities('sync_conflicts').filter(
    (c) => c.status === 'open' && (!jobId || c.job_id === jobId) && (!me || !c.user_id || c.user_id === me),
  )
}

export function childrenOf(entity: string, jobId: string): Rec[] {
  return entities(entity).filter((r) => r.job_id === jobId)
}

/** The parts of the service record a finished job should have, left blank (only spaces count
 * as blank): "work done" is asked about before it is tapped with them empty. */
export function missingRecord(job: Rec | undefined): ('diagnosis' | 'work_done')[] {
  return (['diagnosis', 'work_done'] as const).filter((f) => !str(job?.[f]).trim())
}

/** The instant of `time` (HH:MM) on `day` (YYYY-MM-DD) in the department's time zone, whatever
 * zone the phone is set to. */
export function departmentInstant(day: string, time = '17:00'): Date {
  const [y, m, d] = day.split('-').map(Number)
  const [hh, mm] = time.split(':').map(Number)
  return departmentAt(y, m, d, hh, mm)
}

/** In or out of warranty on `on` (YYYY-MM-DD of the asset's warranty_end). */
export function inWarranty(asset: Rec | undefined, on: Date = new Date()): boolean | null {
  const end = asset?.warranty_end
  if (typeof end !== 'string' || !end) return null
  return departmentDate(on) <= end
}

/** The billing a new part line starts with: warranty only while the asset is known to be in
 * warranty. An unknown warranty end (no acceptance date on record) is chargeable until someone
 * records it, as sync/rules/warranty.py rules. */
export function defaultBilling(asset: Rec | undefined, on: Date = new Date()): 'warranty' | 'chargeable' {
  return inWarranty(asset, on) === true ? 'warranty' : 'chargeable'
}

export function useJob(id: Ref<string>) {
  const job = computed(() => get('jobs', id.value))
  const customer = computed(() => get('customers', job.value?.customer_id))
  const site = computed(() => get('sites', job.value?.site_id))
  const asset = computed(() => get('assets', job.value?.asset_id))
  const visits = computed(() =>
    entities('visits')
      .filter((v) => job.value && v.asset_id === job.value.asset_id && v.id !== job.value.id)
      .sort((a, b) => str(b.reported_at).localeCompare(str(a.reported_at))),
  )
  const conflicts = computed(() => openConflicts(id.value))
  return { job, customer, site, asset, visits, conflicts }
}

/** M/D HH:MM of an instant on the department's clock (Asia/Shanghai), as the office console
 * shows it: the SLA due times, trips and promises are the department's, not the phone's zone. */
export function shortTime(iso: Json | undefined): string {
  if (typeof iso !== 'string' || !iso) return ''
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '' : departmentShortTime(d)
}

/** M/D HH:MM of a deadline on the department's clock: midnight reads 24:00 of the day before. */
export function shortDue(iso: Json | undefined): string {
  if (typeof iso !== 'string' || !iso) return ''
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '' : departmentShortDue(d)
}

/** Per-key debounced actions (a stepper per part line) that can be run at once: on leaving the
 * screen, what waits for its pause is queued, not dropped with the timer. */
export function keyedDebounce(ms: number) {
  const waiting = new Map<string, { timer: ReturnType<typeof setTimeout>; action: () => void }>()
  const run = (k: string) => {
    const entry = waiting.get(k)
    if (!entry) return
    clearTimeout(entry.timer)
    waiting.delete(k)
    entry.action()
  }
  return {
    schedule(k: string, action: () => void): void {
      const previous = waiting.get(k)
      if (previous) clearTimeout(previous.timer)
      waiting.set(k, { timer: setTimeout(() => run(k), ms), action })
    },
    flush(): void {
      for (const k of [...waiting.keys()]) run(k)
    },
  }
}
