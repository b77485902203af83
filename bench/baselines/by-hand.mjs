// Baseline (b): the handler a user writes by hand. Express urlencoded({extended: true}), then one insert per request:
// better-sqlite3 (WAL, synchronous=FULL) for a file path, a pg pool for a postgres:// URL. Prints its URL on stdout.
//   node bench/baselines/by-hand.mjs DATABASE
import express from 'express';

const target = process.argv[2];
let insert;
if (/^postgres/.test(target)) {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: target, max: 10 });
  await pool.query(`create table if not exists events (id bigserial primary key, event text not null,
    member_id text not null, payload text not null, received_at text not null)`);
  insert = (body) =>
    pool.query('insert into events (event, member_id, payload, received_at) values ($1, $2, $3, $4)', [
      body.event,
      body.auth?.member_id,
      JSON.stringify(body),
      new Date().toISOString(),
    ]);
} else {
  const { default: SQLite } = await import('better-sqlite3');
  const db = new SQLite(target);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`create table if not exists events (id integer primary key, event text not null, member_id text not null,
    payload text not null, received_at text not null)`);
  const statement = db.prepare('insert into events (event, member_id, payload, received_at) values (?, ?, ?, ?)');
  insert = async (body) =>
    statement.run(body.event, body.auth?.member_id, JSON.stringify(body), new Date().toISOString());
}

const app = express();
app.use(express.urlencoded({ extended: true }));
app.post('/bitrix24/events', async (req, res) => {
  await insert(req.body);
  res.json({ ok: true });
});
const server = app.listen(0, '127.0.0.1', () =>
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`),
);
