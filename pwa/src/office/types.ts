// Wire shapes of the office API the console reads (docs/api.md; the OpenAPI at /schema).

export interface Sla {
  plan_due: string
  on_site_due: string
  callback_due: string | null
  plan: string
  on_site: string
  callback: string | null
  worst: string
}

export interface JobSummary {
  id: string
  number: string
  status: string
  urgency: string
  channel: string
  customer_id: string
  customer_name: string
  site_id: string | null
  site_name: string | null
  asset_id: string | null
  assigned_engineer_id: string | null
  engineer_name: string | null
  fault_description: string
  reported_at: string
  scheduled_at: string | null
  sla: Sla
  /** Sent back with an edit: 409 when a colleague saved the job since. */
  version: number
}

export interface Page<T> {
  items: T[]
  total: number
  offset: number
  limit: number
}

export interface EngineerLoad {
  id: string
  name: string
  region: string | null
  active_jobs: number
}

export interface Board {
  server_time: string
  unassigned: JobSummary[]
  at_risk: JobSummary[]
  engineers: EngineerLoad[]
  /** How many wait in all; more than `unassigned` holds when the board is full. */
  unassigned_total?: number
  /** How many clocks are at risk or breached in all. */
  at_risk_total?: number
}

export interface Contact { id: string; name: string; phone: string; email: string; title: string }
export interface Customer {
  id: string
  code: string
  name: string
  address: string
  phone: string
  email: string
  /** The language of the customer's service reports. */
  locale: 'zh-CN' | 'en'
  notes: string
  contacts: Contact[]
  version: number
  updated_at: string
}
export interface Site {
  id: string
  customer_id: string
  name: string
  address: string
  region_id: string | null
  version: number
}
export type WarrantyStatus = 'in_warranty' | 'expired' | 'unknown'
export interface Asset {
  id: string
  customer_id: string
  site_id: string
  name: string
  model: string
  serial: string
  /** YYYY-MM-DD */
  acceptance_date: string | null
  /** A contract's warranty length; null is the usual 24 months. */
  warranty_months: number | null
  /** The last covered day, YYYY-MM-DD: worked out by the server unless a contract gave it. */
  warranty_end: string | null
  /** The end is a contract's date (absent from an older server). */
  warranty_end_given?: boolean
  warranty_status: WarrantyStatus
  contract_ref: string
  version: number
}
export interface Region { id: string; code: string; name: string }
export interface Team { id: string; name: string; kind: string; region_id: string | null }

export interface PartLine {
  id: string
  code: string
  name: string
  /** The catalogue's English name ('' when none; absent from an older server). */
  name_en?: string
  unit: string
  /** The catalogue's English unit ('' when none; absent from an older server). */
  unit_en?: string
  quantity: string | number
  unit_price: string | number
  billing: string
  source: string
  note: string
}

export interface Photo {
  id: string
  category: string
  caption: string
  blob_sha256: string
  uploaded: boolean
  /** uploading (bytes on the way), processing (copies being made), ready, failed (see error). */
  state: 'uploading' | 'processing' | 'ready' | 'failed'
  error: string
  /** When the engineer took it off the job (only in `removed_photos`). */
  removed_at?: string | null
}

export interface Signature {
  id: string
  signer_role: string
  signer_name: string
  png_sha256: string
  /** The report content the signer confirmed (docs/report-content.md). */
  content_sha256: string
  device_time: string
  /** Set aside when the job was reopened for a new visit. */
  superseded_at?: string | null
}

export interface JobDetail {
  job: JobSummary
  contact_name: string
  contact_phone: string
  handling_plan: string
  /** The desk's notes; a web report's company, address and equipment as the customer typed them. */
  office_notes: string
  cancel_reason: string
  review_note: string
  diagnosis: string
  cause: string
  work_done: string
  advice: string
  arrived_at: string | null
  completed_at: string | null
  signed_at: string | null
  settled_at: string | null
  customer: Customer
  site: Site | null
  asset: Asset | null
  part_lines: PartLine[]
  photos: Photo[]
  /** Photos the engineer took off the job (absent from an older server). */
  removed_photos?: Photo[]
  signatures: Signature[]
  /** The job's report content as it is now (absent from an older server). */
  content_sha256?: string
  /** The newest earlier jobs on the same asset (up to 20), newest first. */
  earlier_visits: Visit[]
  earlier_visits_total: number
  /** The job's return-for-repair receipts, in short (absent from an older server). */
  receipts?: ReceiptSummary[]
}

export interface Visit {
  id: string
  number: string
  status: string
  reported_at: string
  completed_at: string | null
  fault_description: string
  work_done: string
}

export interface ReviewItem {
  id: string
  number: string
  status: string
  customer_name: string
  engineer_name: string | null
  completed_at: string | null
  signed_at: string | null
  review_note: string
  flags: {
    unsigned: boolean
    no_after_photo: boolean
    /** Photos whose bytes are still on their way from the phone (absent from an older server). */
    photos_on_the_way?: number
    open_conflicts: number
    clock_skew: boolean
    beyond_van_stock: string[]
  }
}

export interface Report {
  id: string
  number: string
  revision: number
  status: string
  pdf_url: string | null
  content_sha256: string
  correction_reason: string
  error: string
}

export interface Conflict {
  id: string
  job_id: string
  job_number: string
  entity: string
  entity_id: string
  field: string
  policy: string
  reason: string
  base_value: unknown
  server_value: unknown
  client_value: unknown
  user_id: string | null
  device_id: string | null
  device_time: string | null
  created_at: string
  status: string
  resolution: string
  resolved_value: unknown
  resolved_by: string | null
  resolved_at: string | null
}

export interface UserRow { id: string; username: string; display_name: string; role: string; active: boolean }

export interface CallItem {
  id: string
  number: string
  customer_name: string
  contact_name: string
  contact_phone: string
  engineer_name: string | null
  settled_at: string | null
  callback_due_at: string | null
  overdue: boolean
}

export interface Complaint {
  id: string
  customer_id: string
  customer_name: string
  job_id: string | null
  severity: 'minor' | 'major' | 'serious'
  description: string
  status: 'open' | 'in_progress' | 'resolved'
  owner_id: string | null
  deadline: string | null
  overdue: boolean
  escalated_at: string | null
  resolved_at: string | null
  resolution: string
  created_at: string
  version: number
}

export interface Figures {
  engineer_id: string | null
  engineer_name: string
  jobs_reported: number
  jobs_completed: number
  response_hours: number | null
  to_site_hours: number | null
  to_fix_hours: number | null
  first_time_fix_rate: number | null
  plan_sla_rate: number | null
  site_sla_rate: number | null
  satisfaction_on_site: number | null
  satisfaction_callback: number | null
  complaints: number
  parts_cost_warranty: string
  parts_cost_chargeable: string
}

export interface MonthFigures { month: string; total: Figures; engineers: Figures[] }

export interface SettlementLine {
  key: string
  kind: 'part' | 'labour' | 'callout'
  description: string
  quantity: string
  unit: string
  unit_price: string
  amount: string
  billing: 'warranty' | 'chargeable'
  original_billing: 'warranty' | 'chargeable'
  reason: string
  changed_by: string | null
}

export interface VanCheck { part_code: string; part_name: string; used: string; taken_from_van: string; difference: string }

export interface Settlement {
  job_id: string
  number: string
  status: string
  customer_name: string
  in_warranty: boolean
  warranty_end: string | null
  visit_date: string | null
  labour_hours: string
  labour_rate: string
  callout_fee: string
  lines: SettlementLine[]
  totals: { warranty: string; chargeable: string; total: string }
  settled_at: string | null
  van: VanCheck[]
}

export interface VanRow {
  engineer_id: string
  engineer_name: string
  part_code: string
  part_name: string
  used_on_jobs: string
  moved_out: string
  difference: string
  level: string
}

/** Where an item taken back for repair is (客户产品返修): with the engineer, taken from the
 * site; in the workshop; back with the customer. */
export type ReceiptStatus = 'taken' | 'in_workshop' | 'returned' | 'void'

/** A line of a receipt's log: taken from the site, in to the workshop, out to the customer (the
 * in/out register's lines, 客户产品进出登记), or the latest in or out taken back (undo). */
export interface ReceiptEvent {
  id: string
  direction: 'taken' | 'in' | 'out' | 'void' | 'undo'
  at: string
  by_name: string
  note: string
}

/** A return-for-repair receipt (客户产品返修收据) with its job, customer and log. */
export interface ReceiptItem {
  id: string
  number: string
  job_id: string
  job_number: string
  job_status: string
  customer_id: string
  customer_name: string
  taken_by_id: string | null
  /** '' when unknown. */
  taken_by_name: string
  item_description: string
  serial: string
  fault: string
  accessories: string
  status: ReceiptStatus
  taken_at: string
  promised_at: string | null
  in_workshop_at: string | null
  returned_at: string | null
  /** Promised back by a time now past, and not returned (as the server counted at the answer). */
  overdue: boolean
  /** Sent back with an edit: 409 when a colleague saved the receipt since. */
  version: number
  /** Where taking back the latest move standing returns the item; null when there is no move to
   * take back (the item is still as taken). The server's rule (docs/receipts.md), not the
   * console's replay of the log. */
  undo_to: ReceiptStatus | null
  /** The earliest time a move forward may name: the log's latest line, else the taking. */
  earliest_move_at: string
  /** Oldest first. */
  events: ReceiptEvent[]
}

/** A receipt as the job's detail lists it. */
export type ReceiptSummary = Pick<
  ReceiptItem,
  'id' | 'number' | 'item_description' | 'serial' | 'fault' | 'accessories' | 'status' | 'taken_at' | 'promised_at' | 'returned_at'
>
