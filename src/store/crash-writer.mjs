// Child process of the crash test in sqlite.test.ts: saves one rollout in a
// loop through the compiled SqliteStore (dist/, built by the test global
// setup) until it is killed, printing each version once saveRollout returned.
import { SqliteStore } from '../../dist/store/sqlite.js';

const [file, name] = process.argv.slice(2);
const store = new SqliteStore(file);
let version = store.getRollout(name)?.version ?? 0;
const padding = 'x'.repeat(2000); // a few pages per save, so a kill can land mid-write

for (;;) {
  const n = version + 1;
  const state = { name, revision: 1, message: `save ${n}`, save: n, padding };
  const events = [
    { type: 'check', message: `save ${n} event 1`, data: { save: n, i: 1, padding } },
    { type: 'weight-changed', message: `save ${n} event 2`, data: { save: n, i: 2 } },
  ];
  version = store.saveRollout({ name, rollout: { metadata: { name } }, state }, events, version, Date.now()).record.version;
  // Writes to a pipe are synchronous on Linux: the parent sees n only after the save returned.
  process.stdout.write(`${version}\n`);
}
