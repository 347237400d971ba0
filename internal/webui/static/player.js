// player.js: one recording (#/recordings/{id}): metadata, quality, the
// two-channel waveform with markers, playback and download.

import { get, del } from './api.js';
import { h, fmtDuration, fmtTime, fmtBytes, fmtClock, fmtConfidence, party, errorBox } from './dom.js';
import { recording } from './model.js';
import { load, Waveform } from './waveform.js';

// Largest non-WAV file decoded whole for the waveform (WAV streams, at
// any length); longer recordings still play.
const maxDecode = 96 << 20;

export async function render(main, id) {
  main.replaceChildren(h('h1', {}, `Recording ${id}`), h('p', {}, 'Loading…'));
  let r;
  try {
    r = recording(await get(`/api/recordings/${encodeURIComponent(id)}`));
  } catch (err) {
    main.replaceChildren(h('h1', {}, `Recording ${id}`), errorBox(err, 'Cannot load the recording'), h('p', {}, h('a', { href: '#/recordings' }, 'Back to the search')));
    return null;
  }
  const callerLabel = `Caller: ${party(r.callerName, r.caller)}`;
  const calleeLabel = `Callee: ${party(r.calleeName, r.callee)}`;

  const audio = h('audio', { preload: 'metadata', src: r.audioUrl, 'aria-label': 'Recording audio' });
  const canvas = h('canvas', { class: 'wave', role: 'img', 'aria-label': `Waveform: ${callerLabel} on top, ${calleeLabel} below` });
  const wave = new Waveform(canvas, audio, [callerLabel, calleeLabel]);
  const waveState = h('p', { class: 'wave-state', 'aria-live': 'polite' }, 'Decoding the waveform…');
  const playBtn = h('button', { type: 'button', class: 'primary', 'aria-keyshortcuts': 'Space k' }, 'Play');
  const back = h('button', { type: 'button', 'aria-keyshortcuts': 'ArrowLeft j', 'aria-label': 'Back 5 seconds' }, '« 5 s');
  const fwd = h('button', { type: 'button', 'aria-keyshortcuts': 'ArrowRight l', 'aria-label': 'Forward 5 seconds' }, '5 s »');
  const seek = h('input', { type: 'range', min: 0, max: 1000, value: 0, step: 1, 'aria-label': 'Position', id: 'seek' });
  const clock = h('output', { for: 'seek', class: 'clock' }, '0:00.0');
  const rate = h('select', { 'aria-label': 'Speed' }, [0.75, 1, 1.25, 1.5, 2].map((x) => h('option', { value: x, selected: x === 1 }, `${x}×`)));
  const saveURL = (url) => url + (url.includes('?') ? '&' : '?') + 'download=1';
  const download = h('a', { href: saveURL(r.audioUrl), download: `recording-${r.id}`, class: 'button' }, 'Download');
  // Several files (one per party with layout separate, parts after a
  // rollover): a choice of which one plays; the waveform draws the
  // chosen file, or both parties' files of its part side by side.
  const fileName = (f) => `${f.party || 'file'}${r.files.some((g) => g.part > 1) ? ', part ' + f.part : ''}${f.bytes ? ' (' + fmtBytes(f.bytes) + ')' : ''}`;
  const fileSel = r.files.length > 1
    ? h('select', { 'aria-label': 'Audio file' }, r.files.map((f, i) => h('option', { value: i }, fileName(f))))
    : null;
  const delBtn = h('button', { type: 'button', class: 'danger' }, 'Delete');
  const msg = h('div', { 'aria-live': 'polite' });

  const seekTo = (t) => { const d = wave.duration; audio.currentTime = Math.max(0, Math.min(d || Infinity, t)); wave.draw(); };
  const toggle = () => (audio.paused ? audio.play().catch((e) => msg.replaceChildren(errorBox(e, 'Cannot play'))) : audio.pause());
  playBtn.addEventListener('click', toggle);
  back.addEventListener('click', () => seekTo(audio.currentTime - 5));
  fwd.addEventListener('click', () => seekTo(audio.currentTime + 5));
  seek.addEventListener('input', () => seekTo((seek.value / 1000) * wave.duration));
  rate.addEventListener('change', () => { audio.playbackRate = Number(rate.value); });
  canvas.addEventListener('click', (e) => {
    const b = canvas.getBoundingClientRect();
    seekTo(((e.clientX - b.left) / b.width) * wave.duration);
  });
  audio.addEventListener('play', () => { playBtn.textContent = 'Pause'; tick(); });
  audio.addEventListener('pause', () => { playBtn.textContent = 'Play'; });
  audio.addEventListener('ended', () => { playBtn.textContent = 'Play'; });
  audio.addEventListener('error', () => msg.replaceChildren(errorBox(new Error(`the audio could not be loaded (${audio.error ? audio.error.message || 'code ' + audio.error.code : 'unknown'})`), 'Audio')));
  const update = () => {
    const d = wave.duration;
    clock.textContent = `${fmtClock(audio.currentTime)} / ${fmtClock(d)}`;
    if (d) seek.value = Math.round((audio.currentTime / d) * 1000);
    seek.setAttribute('aria-valuetext', fmtClock(audio.currentTime));
    wave.draw();
  };
  audio.addEventListener('timeupdate', update);
  audio.addEventListener('loadedmetadata', update);
  let raf = 0;
  function tick() {
    update();
    if (!audio.paused) raf = requestAnimationFrame(tick);
  }
  delBtn.addEventListener('click', async () => {
    if (!confirm(`Delete recording ${r.id}? Its audio is removed.`)) return;
    try {
      await del(`/api/recordings/${encodeURIComponent(r.id)}`);
      location.hash = '#/recordings';
    } catch (err) { msg.replaceChildren(errorBox(err, 'Delete failed')); }
  });

  // Events in time order (a spotter's keywords come after the call's
  // own events in the sidecar).
  const markers = r.events.filter((e) => e.type !== '').sort((a, b) => a.atMs - b.atMs);
  // evText names an event: "0:01.2 keyword refund (callee, 87%)".
  const evText = (e) => {
    const more = [e.party, e.type === 'keyword' ? fmtConfidence(e.confidence) : ''].filter(Boolean).join(', ');
    return `${fmtClock(e.atMs / 1000)} ${e.type}${e.value ? ' ' + e.value : ''}${more ? ' (' + more + ')' : ''}`;
  };
  const evList = markers.length
    ? h('ol', { class: 'events' }, markers.map((e) => h('li', { class: e.type },
        h('button', { type: 'button', class: 'linkish', title: e.source ? `found by ${e.source}` : null, onclick: () => { seekTo(e.atMs / 1000); } }, evText(e)))))
    : h('p', {}, 'No events.');
  // Keywords are also flags over the waveform, at their offset in the
  // row of their party: a click (or Enter) seeks there.
  const keywords = markers.filter((e) => e.type === 'keyword');
  const flags = keywords.map((e) => h('button', {
    type: 'button', class: `marker keyword ${e.party}`, hidden: true, dataset: { at: e.atMs / 1000 },
    'aria-label': `Keyword ${e.value}${e.party ? ' by the ' + e.party : ''} at ${fmtClock(e.atMs / 1000)}${fmtConfidence(e.confidence) ? ', confidence ' + fmtConfidence(e.confidence) : ''}: play from here`,
    title: evText(e), onclick: () => { seekTo(e.atMs / 1000); },
  }, e.value));
  const placeFlags = () => {
    const d = wave.duration;
    for (const [i, f] of flags.entries()) {
      const at = keywords[i].atMs / 1000;
      f.hidden = !(d > 0 && at <= d);
      if (d > 0) f.style.left = `${(100 * at) / d}%`;
    }
  };
  audio.addEventListener('loadedmetadata', placeFlags);
  const waveBox = h('div', { class: 'wave-box' }, canvas, flags.length ? h('div', { class: 'markers', role: 'group', 'aria-label': 'Keywords' }, flags) : null);

  const legRow = (name, l) => h('tr', {}, h('th', { scope: 'row' }, name),
    ...(l ? [l.packets, l.lost, l.jitterMs !== undefined ? Number(l.jitterMs).toFixed(1) : '', l.mos ? Number(l.mos).toFixed(2) : ''] : ['', '', '', '']).map((x) => h('td', { class: 'num' }, x ?? '')));
  const dl = (pairs) => h('dl', { class: 'meta' }, pairs.filter(([, v]) => v !== '' && v !== undefined && v !== null).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));

  main.replaceChildren(
    h('p', {}, h('a', { href: '#/recordings' }, '← Recordings')),
    h('h1', {}, `${party(r.callerName, r.caller)} → ${party(r.calleeName, r.callee)}`),
    h('section', { class: 'player', 'aria-label': 'Player' },
      h('div', { class: 'legend' }, h('span', { class: 'caller' }, callerLabel), h('span', { class: 'callee' }, calleeLabel)),
      waveBox, waveState,
      h('div', { class: 'controls' }, back, playBtn, fwd, seek, clock, rate, fileSel, download, delBtn),
      h('p', { class: 'hint' }, 'Keys: Space or k play/pause, ← → or j l seek 5 s, Home start, End end.'),
      audio, msg),
    h('div', { class: 'cols' },
      h('section', { 'aria-labelledby': 'h-details' }, h('h2', { id: 'h-details' }, 'Details'), dl([
        ['Started', fmtTime(r.started)], ['Answered', fmtTime(r.answered)], ['Ended', fmtTime(r.ended)],
        ['Duration', fmtDuration(r.durationMs)], ['Status', r.status + (r.reason ? ` (${r.reason})` : '')],
        ['Direction', r.direction], ['Codecs', r.codecs], ['Format', r.format], ['Profile', r.profile],
        ['Size', fmtBytes(r.size)], ['Checksum', r.checksum], ['Node', r.node], ['Call-ID', r.callId],
        ['Labels', Object.entries(r.labels).map(([k, v]) => (v ? `${k}=${v}` : k)).join(', ')],
        ['Files', r.files.length > 1 ? h('ul', { class: 'files' }, r.files.map((f) => h('li', {}, h('a', { href: saveURL(f.audio), download: '' }, fileName(f))))) : ''],
      ])),
      h('section', { 'aria-labelledby': 'h-quality' }, h('h2', { id: 'h-quality' }, 'Quality'),
        h('table', {}, h('thead', {}, h('tr', {}, ['', 'Packets', 'Lost', 'Jitter (ms)', 'MOS'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, legRow('Caller', r.legs[0]), legRow('Callee', r.legs[1])))),
      h('section', { 'aria-labelledby': 'h-events' }, h('h2', { id: 'h-events' }, 'Events'), evList)));

  const onKey = (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    // Text fields and selects keep their keys; on the position slider
    // only Space and k are ours (its arrows move it natively).
    const slider = t && t.tagName === 'INPUT' && t.type === 'range';
    if (t && !slider && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
    if (slider && e.key !== ' ' && e.key !== 'k') return;
    if ((e.key === ' ' && !(t && t.tagName === 'BUTTON')) || e.key === 'k') { e.preventDefault(); toggle(); }
    else if (e.key === 'ArrowLeft' || e.key === 'j') { e.preventDefault(); seekTo(audio.currentTime - 5); }
    else if (e.key === 'ArrowRight' || e.key === 'l') { e.preventDefault(); seekTo(audio.currentTime + 5); }
    else if (e.key === 'Home') { e.preventDefault(); seekTo(0); }
    else if (e.key === 'End') { e.preventDefault(); seekTo(wave.duration); }
  };
  document.addEventListener('keydown', onKey);
  const onResize = () => { wave.cache = null; wave.draw(); };
  window.addEventListener('resize', onResize);
  wave.draw();

  // drawFile draws file i (or the recording's one audio): with layout
  // separate, the caller's and callee's files of its part as two rows.
  async function drawFile(i) {
    const f = r.files[i];
    const pair = f && f.party ? ['caller', 'callee'].map((p) => r.files.find((g) => g.party === p && g.part === f.part)) : [];
    if (pair[0] && pair[1]) {
      const [a, b] = await Promise.all(pair.map((g) => load(g.audio, maxDecode)));
      return { rate: a.rate, frames: Math.max(a.frames, b.frames * (a.rate / b.rate)), peaks: [a.peaks[0], b.peaks[0]] };
    }
    return load(f ? f.audio : r.audioUrl, maxDecode);
  }
  if (fileSel) {
    fileSel.addEventListener('change', async () => {
      const f = r.files[Number(fileSel.value)];
      audio.pause();
      audio.src = f.audio;
      download.href = saveURL(f.audio);
      canvas.dataset.ready = '';
      try { wave.set(await drawFile(Number(fileSel.value)), markers); placeFlags(); } catch (err) { waveState.replaceChildren(errorBox(err, 'Waveform unavailable')); }
      update();
    });
  }
  (async () => {
    try {
      const data = await drawFile(0);
      wave.set(data, markers);
      placeFlags();
      canvas.dataset.ready = wave.nonBlank() ? 'drawn' : 'silent';
      waveState.textContent = `${data.peaks.length === 1 ? 'One channel (mixed)' : 'Two channels'}, ${fmtClock(wave.duration)}${wave.nonBlank() ? '' : ', silent'}.`;
    } catch (err) {
      canvas.dataset.ready = 'error';
      waveState.replaceChildren(errorBox(err, 'Waveform unavailable'));
    }
  })();

  return () => {
    cancelAnimationFrame(raf);
    audio.pause();
    document.removeEventListener('keydown', onKey);
    window.removeEventListener('resize', onResize);
  };
}
