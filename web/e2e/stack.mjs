// The running stack as `cargo xtask up` describes it (~/.cache/chat-cluster/run/stack.json):
// which gateway owns a user, its pid, and bringing everything back up.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUN_DIR = process.env.CHAT_RUN_DIR ?? join(homedir(), '.cache', 'chat-cluster', 'run');
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function stack() {
  return JSON.parse(readFileSync(join(RUN_DIR, 'stack.json'), 'utf8'));
}

/** The router's slot table (what OpenResty routes /ws/{uid} with). */
export async function slotTable() {
  const res = await fetch(`http://${stack().router.http}/v1/table`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET /v1/table: ${res.status}`);
  return res.json();
}

/** The gateway that owns the user's slot (uid mod slot_count): { tag, name, pid }. */
export async function gatewayOf(userId) {
  const table = await slotTable();
  const owner = table.gateways[table.slots[userId % table.slot_count]];
  if (!owner) throw new Error(`no gateway owns the slot of user ${userId}`);
  // Tags are handed out at registration, so they need not match the run names (gateway-N):
  // the table's address is the gateway's HTTP address in stack.json.
  const name = stack().gateways.find((g) => g.http === owner.addr)?.name;
  if (!name) throw new Error(`no gateway in stack.json listens on ${owner.addr}`);
  const pid = Number(readFileSync(join(RUN_DIR, 'pids', `${name}.pid`), 'utf8').trim());
  return { tag: owner.tag, name, pid };
}

/** `cargo xtask up` (restarts whatever is not running), bounded; resolves with its exit code. */
export function stackUp(ms = 120_000) {
  return new Promise((done) => {
    const child = spawn('timeout', [String(Math.ceil(ms / 1000)), 'cargo', 'xtask', 'up'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => done({ code, output }));
  });
}

/** Waits (bounded) until the slot table names `count` gateways and its epoch holds for a while. */
export async function tableSettled(count, ms = 30_000) {
  const deadline = Date.now() + ms;
  let last = null;
  let since = Date.now();
  for (;;) {
    const t = await slotTable().catch(() => null);
    if (t && t.gateways.length === count && t.slots.every((s) => s !== null)) {
      if (last !== t.epoch) {
        last = t.epoch;
        since = Date.now();
      } else if (Date.now() - since >= 2_000) return t;
    }
    if (Date.now() > deadline) throw new Error(`slot table not settled on ${count} gateways within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
