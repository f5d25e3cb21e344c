// Forget the tab's keys and plaintext after HANDLER_IDLE_MINUTES without input, whatever the
// server session says: a console left open on an unattended desk shows nothing and opens
// nothing until its handler signs in again.

const INPUT = ['keydown', 'pointerdown', 'wheel', 'touchstart', 'input'];

/**
 * Call `onIdle` once `minutes` pass without input (checked against the clock, so a laptop
 * that slept or a throttled background tab is caught on its next tick).
 * @param {number} minutes
 * @param {() => void} onIdle
 */
export function watchIdle(minutes, onIdle) {
  if (!Number.isFinite(minutes) || minutes <= 0) return;
  const limit = minutes * 60_000;
  let last = Date.now();
  const touch = () => {
    last = Date.now();
  };
  for (const type of INPUT) document.addEventListener(type, touch, { capture: true, passive: true });
  setInterval(() => {
    if (Date.now() - last < limit) return;
    last = Date.now();
    onIdle();
  }, Math.min(limit, 15_000));
}
