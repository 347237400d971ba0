// waveform.js: decodes a recording in the browser and draws its two
// channels on a canvas: caller on top (left channel), callee below
// (right channel), event markers across both, and the play position.

// decode returns {rate, channels: [Float32Array...]} for a WAV holding
// 16-bit PCM, G.711 u-law or A-law (parsed here, so the samples are the
// file's own), else whatever the browser's decodeAudioData can read
// (Ogg/Opus, MP3), resampled to 8 kHz for drawing.
export async function decode(buf) {
  const w = parseWav(buf);
  if (w) return w;
  const ctx = new OfflineAudioContext(2, 1, 8000);
  const ab = await ctx.decodeAudioData(buf.slice(0));
  const channels = [];
  for (let c = 0; c < ab.numberOfChannels; c++) channels.push(ab.getChannelData(c));
  return { rate: ab.sampleRate, channels };
}

function parseWav(buf) {
  const v = new DataView(buf);
  const tag = (o) => String.fromCharCode(v.getUint8(o), v.getUint8(o + 1), v.getUint8(o + 2), v.getUint8(o + 3));
  if (buf.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return null;
  let off = 12, fmt = null;
  while (off + 8 <= buf.byteLength) {
    const id = tag(off);
    let size = v.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'fmt ' && size >= 16) {
      fmt = { code: v.getUint16(body, true), ch: v.getUint16(body + 2, true), rate: v.getUint32(body + 4, true), bits: v.getUint16(body + 14, true) };
      if (fmt.code === 0xfffe && size >= 26) fmt.code = v.getUint16(body + 24, true); // WAVE_FORMAT_EXTENSIBLE
    } else if (id === 'data' && fmt) {
      // A recording still being written may carry a provisional size.
      if (size === 0 || size === 0xffffffff || body + size > buf.byteLength) size = buf.byteLength - body;
      return samples(v, body, size, fmt);
    }
    off = body + size + (size & 1);
  }
  return null;
}

function samples(v, off, size, f) {
  const bytes = f.code === 1 && f.bits === 16 ? 2 : (f.code === 6 || f.code === 7) && f.bits === 8 ? 1 : 0;
  if (!bytes || f.ch < 1) return null;
  const n = Math.floor(size / (bytes * f.ch));
  const channels = Array.from({ length: f.ch }, () => new Float32Array(n));
  const law = f.code === 7 ? ulaw : f.code === 6 ? alaw : null;
  let p = off;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < f.ch; c++) {
      channels[c][i] = law ? law(v.getUint8(p)) / 32768 : v.getInt16(p, true) / 32768;
      p += bytes;
    }
  }
  return { rate: f.rate, channels };
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

// peaks reduces a channel to min/max pairs, one per column.
export function peaks(ch, cols) {
  const out = new Float32Array(cols * 2);
  const per = ch.length / cols;
  for (let x = 0; x < cols; x++) {
    let lo = 0, hi = 0;
    const a = Math.floor(x * per), b = Math.min(ch.length, Math.max(a + 1, Math.floor((x + 1) * per)));
    for (let i = a; i < b; i++) {
      const s = ch[i];
      if (s < lo) lo = s;
      if (s > hi) hi = s;
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
    if (this.data && this.data.channels[0].length) return this.data.channels[0].length / this.data.rate;
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
    const chans = this.data ? this.data.channels : [];
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
        const p = peaks(chans[r], w);
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
        const text = e.type === 'dtmf' ? e.value : e.type === 'keyword' ? e.value : e.type;
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
    return this.data.channels.some((ch) => ch.some((s) => Math.abs(s) > 0.01));
  }
}
