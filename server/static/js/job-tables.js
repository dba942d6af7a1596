// The tables of the jobs this browser submitted, kept in this browser (IndexedDB) so that
// "Re-open" can fill the table editor again: the server keeps a job's table text in the job
// folder only, and answers with its shape (server/API.md, Jobs). Jobs belong to the browser
// session that ran them, so a browser-local copy is exactly as private as the job list.
// Only the newest jobs are kept; nothing here is required for a run to work.

const DB_NAME = "plotforge";
const STORE = "job-tables";
const KEEP_JOBS = 30;
const MAX_CHARS = 20_000_000; // a job with bigger tables is not kept

function open() {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === "undefined") {
      reject(new Error("no IndexedDB"));
      return;
    }
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function size(tables) {
  return Object.values(tables).reduce((n, v) => n + (typeof v === "string" ? v.length : 100), 0);
}

/** Keep `tables` ({name: TSV text | {upload}}) of job `id`; never throws. */
export async function rememberTables(id, tables) {
  if (!id || !tables || size(tables) > MAX_CHARS) return;
  try {
    const db = await open();
    const store = db.transaction(STORE, "readwrite").objectStore(STORE);
    await done(store.put({ id, at: Date.now(), tables }));
    const all = await done(store.getAll());
    all.sort((a, b) => b.at - a.at);
    for (const old of all.slice(KEEP_JOBS)) store.delete(old.id);
    db.close();
  } catch {
    /* storage switched off or full: re-opening then shows the parameters only */
  }
}

/** The tables kept for job `id`, or null. */
export async function recallTables(id) {
  try {
    const db = await open();
    const entry = await done(db.transaction(STORE).objectStore(STORE).get(id));
    db.close();
    return entry?.tables || null;
  } catch {
    return null;
  }
}
