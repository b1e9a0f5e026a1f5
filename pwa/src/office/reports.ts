// What the review page may do about a job's service report, from the job as the server has it
// now (its report content's hash) and the customer's current signature (docs/report.md).

export interface SignedBy {
  signer_role: string
  content_sha256: string
  superseded_at?: string | null
}

export interface ReportRow {
  revision: number
  status: string
  content_sha256: string
  /** The customer's signature the revision was issued on. */
  signed_content_sha256?: string
}

export interface ReportState {
  /** The customer signed other content than the job holds now: it changed after signing (an
   * office edit made while the engineer was offline, say), and no report covers the job as it
   * now is. Only a correction can be issued. */
  signedOther: boolean
  /** The customer signed other content, and a correction covers the job as it now is. */
  corrected: boolean
  /** The job changed since its last issued report. */
  changedSinceIssued: boolean
  /** A first report may be issued (the customer signed this very content, none issued yet). */
  mayIssue: boolean
  /** Only a correction, with its reason, can give the job a report of what it holds now. */
  needsCorrection: boolean
}

export function reportState(contentSha256: string, signatures: SignedBy[], reports: ReportRow[]): ReportState {
  const signed = signatures.find((s) => s.signer_role === 'customer' && !s.superseded_at)
  const issued = reports.filter((r) => r.status === 'issued').sort((a, b) => a.revision - b.revision)
  const latest = issued.length ? issued[issued.length - 1] : null
  const known = !!contentSha256
  const mismatch = !!signed && known && signed.content_sha256 !== contentSha256
  const covered = !!latest && known && latest.content_sha256 === contentSha256
  // A reopened job's new visit, signed anew over the job as it is: its report is a new revision
  // of its own (the server issues it without a reason), not a correction of the last visit's.
  const signedAnew =
    !!signed && !mismatch && !!latest && !!latest.signed_content_sha256 && latest.signed_content_sha256 !== signed.content_sha256
  const changedSinceIssued = !!latest && known && !covered
  return {
    signedOther: mismatch && !covered,
    corrected: mismatch && covered,
    changedSinceIssued: changedSinceIssued && !signedAnew,
    mayIssue: !!signed && known && !mismatch && (!latest || signedAnew),
    needsCorrection: !!signed && known && !covered && !signedAnew && (!!latest || mismatch),
  }
}
