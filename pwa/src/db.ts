// The IndexedDB schema of one device (one user account on this phone).
// Upgrades only ADD stores and indexes: never delete or clear a store in a new version,
// so no app update can drop a queued change.
import Dexie, { type Table } from 'dexie'

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
export type Args = Record<string, Json>

/** A mutation exactly as it will be sent (sync protocol 4.1), plus bookkeeping. */
export interface Envelope {
  seq: number
  id: string
  name: string
  at: string
  args: Args
}

export interface OutboxEntry extends Envelope {
  jobId: string | null
  attempts: number
  lastError: string
}

/** A mutation the server refused: kept and shown with its reason (never silently dropped). */
export interface FailedEntry extends Envelope {
  jobId: string | null
  reason: string
  /** The rejection's code, where it has one (entries kept by older versions have none). */
  code?: string | null
  /** The job's number when it was refused: a job taken off this phone (reassigned) leaves the
   * replica at the next pull, and its refused work must still name it. */
  jobNumber?: string
  answeredAt: string
}

/** A mutation the server answered (applied/merged/conflict/duplicate) not yet seen in a pull. */
export interface AckedEntry extends Envelope {
  jobId: string | null
  status: string
  conflicts: string[]
  answeredAt: string
}

/** A record as the server last sent it. `id` is the record's key as text. */
export interface StoredRecord {
  entity: string
  id: string
  job_id: string | null
  data: Record<string, Json>
}

/** Photo bytes kept on the device until the server holds them. */
export interface BlobEntry {
  sha256: string
  bytes: Blob
  type: string
  size: number
  uploaded: number // 0 or 1 (IndexedDB cannot index booleans)
  lastError: string
  /** Why the server refused these bytes for good (422: not the declared hash, not an image it
   * accepts); "" or absent while they may still go. Not sent again at each sync, where it would
   * be refused again, only when the engineer asks (`sendAgain`). */
  refused?: string
}

export interface MetaEntry {
  key: string
  value: Json
}

export class DeviceDb extends Dexie {
  meta!: Table<MetaEntry, string>
  outbox!: Table<OutboxEntry, number>
  failed!: Table<FailedEntry, number>
  acked!: Table<AckedEntry, number>
  records!: Table<StoredRecord, [string, string]>
  blobs!: Table<BlobEntry, string>

  constructor(name: string) {
    super(name)
    this.version(1).stores({
      meta: 'key',
      outbox: 'seq, &id, jobId',
      failed: 'seq, &id, jobId',
      acked: 'seq, &id',
      records: '[entity+id], entity, job_id',
      blobs: 'sha256, uploaded',
    })
  }
}

/** The accounts of this phone: one device id per user (sync protocol 2, "The device id"). */
export interface Account {
  username: string
  deviceId: string
  userId: string
  displayName: string
  lastLoginAt: string
}

export class AccountsDb extends Dexie {
  accounts!: Table<Account, string>
  settings!: Table<MetaEntry, string>

  constructor() {
    super('fieldsync-accounts')
    this.version(1).stores({ accounts: 'username, deviceId', settings: 'key' })
  }
}

export function deviceDbName(deviceId: string): string {
  return `fieldsync-device-${deviceId}`
}

export async function getMeta<T extends Json>(db: DeviceDb, key: string, fallback: T): Promise<T> {
  const row = await db.meta.get(key)
  return row === undefined ? fallback : (row.value as T)
}

export async function setMeta(db: DeviceDb, key: string, value: Json): Promise<void> {
  await db.meta.put({ key, value })
}
