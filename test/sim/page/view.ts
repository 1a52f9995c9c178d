/** The page's visible text, for screenshots and for a person looking at the browser. */
import { conn, socket } from './models';
import { sim } from './state';

let queued = false;

export function render(): void {
  if (queued) return;
  queued = true;
  setTimeout(() => {
    queued = false;
    const element = document.getElementById('sim-status');
    if (!element) return;
    const state = String(socket.get('state'));
    const parts = [`state=${state}`, `hasSynced=${String(socket.get('hasSynced'))}`];
    if (sim.pairing) parts.push(`me=${sim.pairing.me.user}`);
    if (state === 'UNPAIRED' && sim.pairingType === 'QR') parts.push(`qr=${String(conn.get('ref')).slice(0, 16)}...`);
    if (sim.pairingCode) parts.push('pairing code shown');
    parts.push(`sent=${sim.outbox.length}`);
    element.textContent = parts.join(' ');
  }, 0);
}
