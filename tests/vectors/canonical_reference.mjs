// A reference implementation of docs/report-content.md in plain JavaScript (the PWA's
// TypeScript follows it). Usage: node canonical_reference.mjs report_content.json
import { readFileSync } from "node:fs";
import { webcrypto as crypto } from "node:crypto";

const text = (s) => {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { out += s[i] + s[i + 1]; i++; }
    else if (c >= 0xd800 && c <= 0xdfff) out += "\ufffd";
    else out += s[i];
  }
  return out.replace(/\r\n?/g, "\n").normalize("NFC");
};
const decimal = (q) => {
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(q);
  if (!m) throw new Error("bad quantity " + q);
  const whole = m[1].replace(/^0+/, "") || "0";
  const frac = (m[2] || "").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : whole;
};
const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const sortKeys = (v) => Array.isArray(v) ? v.map(sortKeys)
  : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])])) : v;

function canonical(input) {
  const j = input.job, site = input.site ?? {}, asset = input.asset ?? {};
  const doc = {
    version: 1,
    job: { number: text(j.number), fault_description: text(j.fault_description ?? ""), diagnosis: text(j.diagnosis ?? ""),
      cause: text(j.cause ?? ""), work_done: text(j.work_done ?? ""), advice: text(j.advice ?? "") },
    customer: { name: text(input.customer.name) },
    site: { name: text(site.name ?? ""), address: text(site.address ?? "") },
    asset: { model: text(asset.model ?? ""), serial: text(asset.serial ?? "") },
    parts: (input.part_lines ?? []).filter((p) => !p.removed_at).map((p) => ({ id: p.id.toLowerCase(), code: text(p.part_code),
      name: text(p.part_name), unit: text(p.unit), quantity: decimal(p.quantity), billing: text(p.billing), note: text(p.note ?? "") })).sort(byId),
    photos: (input.photos ?? []).filter((p) => !p.removed_at).map((p) => ({ id: p.id.toLowerCase(), sha256: p.blob_sha256.toLowerCase(),
      category: text(p.category), caption: text(p.caption ?? "") })).sort(byId),
    receipts: (input.receipts ?? []).map((r) => ({ id: r.id.toLowerCase(), item: text(r.item_description), serial: text(r.serial ?? ""),
      fault: text(r.fault ?? ""), accessories: text(r.accessories ?? "") })).sort(byId),
  };
  return JSON.stringify(sortKeys(doc));
}
const vectors = JSON.parse(readFileSync(process.argv[2], "utf8"));
let bad = 0;
for (const v of vectors) {
  const c = canonical(v.input);
  const h = Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(c))).toString("hex");
  const ok = c === v.canonical && h === v.sha256;
  if (!ok) bad++;
  console.log(ok ? "ok  " : "FAIL", v.name);
}
process.exit(bad ? 1 : 0);
