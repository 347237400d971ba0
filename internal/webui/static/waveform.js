// waveform.js: reads a recording in the browser and draws its two
// channels on a canvas: caller on top (left channel), callee below
// (right channel), event markers in the row of their party, and the
// play position.

// Buckets is how many min/max pairs a channel is reduced to: enough for
// a wide screen, and a fixed memory cost whatever the recording's length.
const Buckets = 8192;

// A Summary is what the waveform draws: per channel, min/max pairs of
// equal slices of the recording, and its length in frames at rate.
//   {rate, frames, peaks: [Float32Array(2*buckets)...]}

// load fetches url and summarises it. A WAV holding 16-bit PCM, G.711
// u-law or A-law is parsed here as it streams in, so the samples are the
// file's own and a recording of hours needs no more memory than one of
// seconds; anything else (Ogg/Opus, MP3) is decoded whole by the
// browser (decodeAudioData), up to maxBytes.
export async function load(url, maxBytes) {
  const resp = await fetch(url, { credentials: 'same-origin' });
  if (!resp.ok) throw new Error(`audio: HTTP ${resp.status}`);
  const reader = resp.body.getReader();
  const total = Number(resp.headers.get('Content-Length')) || 0;
  let head = new Uint8Array(0);
  // Read until the WAV header's data chunk starts (or it is clearly no WAV).
  for (;;) {
    const w = parseHeader(head);
    if (w && w.fmt) return streamWav(reader, head.subarray(w.dataOff), w, total);
    if (w === null || head.length > 1 << 20) break;
    const { done, value } = await reader.read();
    if (done) break;
    head = concat(head, value);
  }
  // Not a WAV we parse: the browser decodes the whole file.
  const parts = [head];
  let size = head.length;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) { reader.cancel(); throw new Error(`the file is over ${Math.round(maxBytes / 1048576)} MB; the waveform is drawn for WAV recordings of any length, other formats up to that`); }
    parts.push(value);
  }
  const buf = new Uint8Array(size);
  let off = 0;
  for (const p of parts) { buf.set(p, off); off += p.length; }
  const ctx = new OfflineAudioContext(2, 1, 8000);
  const ab = await ctx.decodeAudioData(buf.buffer);
  const chans = [];
  for (let c = 0; c < ab.numberOfChannels; c++) chans.push(ab.getChannelData(c));
  return summarise(chans, ab.sampleRate);
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// parseHeader walks the RIFF chunks of head: undefined while more bytes
// are needed, null when it is no WAV, else {fmt, dataOff, dataSize}
// (fmt null when the encoding is not one parsed here).
function parseHeader(b) {
  if (b.length < 12) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const tag = (o) => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return null;
  let off = 12, fmt;
  while (off + 8 <= b.length) {
    const id = tag(off), size = v.getUint32(off + 4, true), body = off + 8;
    if (id === 'data') {
      if (!fmt) return null;
      return { fmt: supported(fmt) ? fmt : null, dataOff: body, dataSize: size };
    }
    if (body + size > b.length) return undefined;
    if (id === 'fmt ' && size >= 16) {
      fmt = { code: v.getUint16(body, true), ch: v.getUint16(body + 2, true), rate: v.getUint32(body + 4, true), bits: v.getUint16(body + 14, true) };
      if (fmt.code === 0xfffe && size >= 26) fmt.code = v.getUint16(body + 24, true); // WAVE_FORMAT_EXTENSIBLE
    }
    off = body + size + (size & 1);
  }
  return undefined;
}

function supported(f) {
  return f.ch >= 1 && f.rate > 0 && ((f.code === 1 && f.bits === 16) || ((f.code === 6 || f.code === 7) && f.bits === 8));
}

// streamWav reduces the data chunk to peaks as it arrives. The number of
// frames comes from the chunk's size, or from Content-Length when the
// header is provisional (a recording still being written).
async function streamWav(reader, first, w, total) {
  const f = w.fmt, bps = f.bits / 8, fb = bps * f.ch;
  let size = w.dataSize;
  if (size === 0 || size === 0xffffffff) size = total ? total - w.dataOff : 0;
  let frames = Math.floor(size / fb);
  const law = f.code === 7 ? ulaw : f.code === 6 ? alaw : null;
  const B = Math.max(1, Math.min(Buckets, frames || Buckets));
  const peaks = Array.from({ length: f.ch }, () => new Float32Array(2 * B));
  let frame = 0, rest = new Uint8Array(0);
  const take = (chunk) => {
    const b = rest.length ? concat(rest, chunk) : chunk;
    const n = Math.floor(b.length / fb);
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    for (let i = 0, p = 0; i < n; i++, frame++) {
      if (frames && frame >= frames) return; // bytes after the data chunk
      const k = frames ? 2 * Math.floor((frame * B) / frames) : 0;
      for (let c = 0; c < f.ch; c++, p += bps) {
        const s = law ? law(b[p]) / 32768 : v.getInt16(p, true) / 32768;
        const pk = peaks[c];
        if (s < pk[k]) pk[k] = s;
        if (s > pk[k + 1]) pk[k + 1] = s;
      }
    }
    rest = b.slice(n * fb);
  };
  take(first);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    take(value);
  }
  if (!frames) frames = frame; // size unknown: all in bucket 0; rare (no length anywhere)
  return { rate: f.rate, frames: Math.min(frames, frame), peaks };
}

// summarise reduces decoded channels to peaks.
export function summarise(chans, rate) {
  const frames = chans.length ? chans[0].length : 0;
  const B = Math.max(1, Math.min(Buckets, frames));
  const peaks = chans.map((ch) => {
    const out = new Float32Array(2 * B);
    for (let i = 0; i < frames; i++) {
      const k = 2 * Math.floor((i * B) / frames), s = ch[i];
      if (s < out[k]) out[k] = s;
      if (s > out[k + 1]) out[k + 1] = s;
    }
    return out;
  });
  return { rate, frames, peaks };
}

function ulaw(u) {
  u = ~u & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

function alaw(a) {
  a ^= 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  t = seg === 0 ? t + 8 : seg === 1 ? t + 0x108 : (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

// columns reduces a channel's peaks to one min/max pair per column.
function columns(pk, cols) {
  const B = pk.length / 2, out = new Float32Array(cols * 2);
  for (let x = 0; x < cols; x++) {
    const a = Math.floor((x * B) / cols), b = Math.max(a + 1, Math.floor(((x + 1) * B) / cols));
    let lo = 0, hi = 0;
    for (let k = a; k < b && k < B; k++) {
      if (pk[2 * k] < lo) lo = pk[2 * k];
      if (pk[2 * k + 1] > hi) hi = pk[2 * k + 1];
    }
    out[2 * x] = lo;
    out[2 * x + 1] = hi;
  }
  return out;
}

const markerColour = { dtmf: '#b35900', keyword: '#7a1fa2', pause: '#555', resume: '#555' };

// Waveform draws onto canvas. labels name the channels top to bottom.
export class Waveform {
  constructor(canvas, audio, labels) {
    this.canvas = canvas;
    this.audio = audio;
    this.labels = labels;
    this.data = null;
    this.events = [];
    this.position = 0;
  }

  set(data, events) {
    this.data = data;
    this.events = events || [];
    this.cache = null;
    this.draw();
  }

  get duration() {
    if (this.data && this.data.frames) return this.data.frames / this.data.rate;
    return isFinite(this.audio.duration) ? this.audio.duration : 0;
  }

  // draw paints the waveform (cached per size) and the play position.
  draw() {
    const c = this.canvas, dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr)), hgt = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== hgt) { c.width = w; c.height = hgt; this.cache = null; }
    const g = c.getContext('2d');
    if (!this.cache) this.cache = this.render(w, hgt, dpr);
    g.putImageData(this.cache, 0, 0);
    const d = this.duration;
    if (d > 0) {
      const x = Math.round((this.audio.currentTime / d) * w);
      g.fillStyle = '#d00';
      g.fillRect(x - dpr, 0, 2 * dpr, hgt);
    }
  }

  render(w, hgt, dpr) {
    const g = this.canvas.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, w, hgt);
    const chans = this.data ? this.data.peaks : [];
    const rows = Math.max(1, Math.min(2, chans.length));
    const rh = hgt / rows;
    const colours = ['#1f5fa8', '#1d7a3a'];
    for (let r = 0; r < rows; r++) {
      const mid = r * rh + rh / 2;
      g.fillStyle = r ? '#f4faf5' : '#f3f7fc';
      g.fillRect(0, r * rh, w, rh);
      g.strokeStyle = '#ccc';
      g.beginPath(); g.moveTo(0, mid); g.lineTo(w, mid); g.stroke();
      if (chans[r]) {
        const p = columns(chans[r], w);
        g.fillStyle = colours[r];
        for (let x = 0; x < w; x++) {
          const y1 = mid - p[2 * x + 1] * (rh / 2 - 2), y2 = mid - p[2 * x] * (rh / 2 - 2);
          g.fillRect(x, y1, 1, Math.max(1, y2 - y1));
        }
      }
      g.fillStyle = '#222';
      g.font = `${12 * dpr}px system-ui, sans-serif`;
      g.fillText(rows === 1 ? 'Mixed' : this.labels[r], 6 * dpr, r * rh + 16 * dpr);
    }
    if (rows === 2) { g.fillStyle = '#888'; g.fillRect(0, rh, w, dpr); }
    const d = this.duration;
    if (d > 0) {
      g.font = `${11 * dpr}px system-ui, sans-serif`;
      // Labels that would overlap the previous one in their row go a
      // line lower.
      const lastEnd = {};
      const events = [...this.events].sort((a, b) => a.atMs - b.atMs);
      for (const e of events) {
        const x = Math.round((e.atMs / 1000 / d) * w);
        const col = markerColour[e.type] || '#333';
        g.fillStyle = col;
        const top = e.party === 'callee' && rows === 2 ? rh : 0, bottom = e.party === 'caller' && rows === 2 ? rh : hgt;
        g.fillRect(x, top, Math.max(1, dpr), bottom - top);
        // A keyword's name is on its flag over the canvas (player.js).
        const text = e.type === 'dtmf' ? e.value : e.type === 'keyword' ? '' : e.type;
        if (text) {
          let line = 0;
          while ((lastEnd[top + ':' + line] ?? -1) > x && line < 5) line++;
          g.fillText(String(text), x + 3 * dpr, top + (30 + 13 * line) * dpr);
          lastEnd[top + ':' + line] = x + 3 * dpr + g.measureText(String(text)).width + 4 * dpr;
        }
      }
    }
    return g.getImageData(0, 0, w, hgt);
  }

  // nonBlank reports whether anything but the background was drawn in
  // the channel rows (used by tests and to say "silent" to the user).
  nonBlank() {
    if (!this.data) return false;
    return this.data.peaks.some((pk) => pk.some((s) => Math.abs(s) > 0.01));
  }
}
