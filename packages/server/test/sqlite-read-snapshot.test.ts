/**
 * The read snapshot of the SQLite connection (sqlite/read-snapshot.ts, decision 0047): the reads of
 * one run of the event loop (a callback and the promise continuations it sets off, with no I/O in
 * between) share one read transaction instead of one each. These tests pin what it must not change:
 * a write never joins it (it commits at once, visible to another connection before it returns), a
 * read inside a write transaction stays in that transaction, and another connection's commit is
 * seen from the next run on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { createSqliteConnection, openSqliteDatabase } from '../src/store/sqlite/connection.ts';

const directory = mkdtempSync(join(tmpdir(), 'gatehouse-sqlite-snapshot-'));
after(() => rmSync(directory, { recursive: true, force: true }));
let files = 0;

function open() {
  const path = join(directory, `snapshot-${++files}.db`);
  const db = openSqliteDatabase(path);
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
  db.exec(`INSERT INTO t VALUES ('a', 1)`);
  const other = new DatabaseSync(path);
  const connection = createSqliteConnection(db);
  const read = (k: string) => connection.sql('SELECT v FROM t WHERE k = ?').get(k)?.v;
  return { db, other, connection, read };
}
const nextRun = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SQLite read snapshot', () => {
  it('the reads of one run share one read transaction, which ends with the run', async () => {
    const { db, read } = open();
    assert.equal(db.isTransaction, false);
    assert.equal(read('a'), 1);
    assert.equal(db.isTransaction, true, 'the first read opened the read transaction');
    await Promise.resolve();
    assert.equal(read('a'), 1);
    assert.equal(db.isTransaction, true, 'a promise continuation of the same run reads in it too');
    await nextRun();
    assert.equal(db.isTransaction, false, 'it ended with the run');
  });

  it('a write ends it first and commits at once, never at the end of the run', () => {
    const { db, other, connection, read } = open();
    assert.equal(read('a'), 1);
    connection.sql(`INSERT INTO t VALUES ('b', 2)`).run();
    assert.equal(db.isTransaction, false);
    assert.equal(other.prepare(`SELECT v FROM t WHERE k = 'b'`).get()?.v, 2, 'committed before it returned');
    assert.equal(read('b'), 2, 'a read after the write sees it');
  });

  it('a read inside a write transaction stays in it, and the write commits with it', () => {
    const { db, other, connection, read } = open();
    connection.immediate(() => {
      connection.sql(`UPDATE t SET v = 5 WHERE k = 'a'`).run();
      assert.equal(read('a'), 5, 'the transaction sees its own write');
    });
    assert.equal(db.isTransaction, false);
    assert.equal(other.prepare(`SELECT v FROM t WHERE k = 'a'`).get()?.v, 5);
  });

  it('group-committed writes do not join it', async () => {
    const { db, other, connection, read } = open();
    assert.equal(read('a'), 1);
    await connection.write(() => connection.sql(`INSERT INTO t VALUES ('c', 3)`).run());
    assert.equal(other.prepare(`SELECT v FROM t WHERE k = 'c'`).get()?.v, 3, 'committed when it resolved');
    assert.equal(read('c'), 3);
    assert.equal(db.isTransaction, true);
    connection.flush();
    assert.equal(db.isTransaction, false, 'a clean stop ends it');
  });

  it("another connection's commit is seen from the next run on", async () => {
    const { other, read } = open();
    assert.equal(read('a'), 1);
    other.prepare(`UPDATE t SET v = 9 WHERE k = 'a'`).run();
    assert.equal(read('a'), 1, 'the same run reads its snapshot');
    await nextRun();
    assert.equal(read('a'), 9);
  });
});
