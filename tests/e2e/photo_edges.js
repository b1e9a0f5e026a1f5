// The longest edge of every photo kept in the app's IndexedDB (run in the page).
async () => {
  const names = (await indexedDB.databases())
    .map((d) => d.name)
    .filter((n) => n.startsWith('fieldsync-device-'))
  const edges = []
  for (const name of names) {
    const db = await new Promise((ok, fail) => {
      const r = indexedDB.open(name)
      r.onsuccess = () => ok(r.result)
      r.onerror = fail
    })
    const blobs = await new Promise((ok) => {
      const r = db.transaction('blobs').objectStore('blobs').getAll()
      r.onsuccess = () => ok(r.result)
    })
    for (const b of blobs) {
      const bitmap = await createImageBitmap(b.bytes)
      edges.push(Math.max(bitmap.width, bitmap.height))
    }
    db.close()
  }
  return edges
}
