// model.js: normalises the API's recording JSON into one shape the pages
// use, accepting the field spellings the API may use (snake_case, Go
// names, durations in ms, seconds or Go duration strings).

const pick = (o, ...ks) => { for (const k of ks) if (o && o[k] !== undefined && o[k] !== null) return o[k]; return undefined; };

// toMs converts a duration: numbers named *_ms are ms, *_s seconds;
// a bare number is seconds when small and nanoseconds (Go
// time.Duration) when it is an integer above 1e7; a string is a Go
// duration ("1m2.5s", "300ms").
export function toMs(v, unit) {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') {
    if (/^-?\d+(\.\d+)?$/.test(v)) return toMs(Number(v), unit);
    let ms = 0, m;
    const re = /(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/g;
    let any = false;
    while ((m = re.exec(v))) {
      any = true;
      const n = Number(m[1]);
      ms += n * { h: 3600e3, m: 60e3, s: 1e3, ms: 1, us: 1e-3, 'µs': 1e-3, ns: 1e-6 }[m[2]];
    }
    return any ? ms : undefined;
  }
  if (unit === 'ms') return v;
  if (unit === 's') return v * 1000;
  if (unit === 'ns') return v / 1e6;
  return Number.isInteger(v) && Math.abs(v) > 1e7 ? v / 1e6 : v * 1000;
}

function dur(o, base) {
  let v;
  if ((v = pick(o, base + '_ms', base + 'Ms', base + 'MS')) !== undefined) return toMs(v, 'ms');
  if ((v = pick(o, base + '_s', base + '_seconds', base + '_sec')) !== undefined) return toMs(v, 's');
  if ((v = pick(o, base + '_ns')) !== undefined) return toMs(v, 'ns');
  const cap = base[0].toUpperCase() + base.slice(1);
  return toMs(pick(o, base, cap));
}

function time(o, ...ks) {
  const v = pick(o, ...ks);
  if (!v) return null;
  const d = typeof v === 'number' ? new Date(v > 1e12 ? v : v * 1000) : new Date(v);
  return isNaN(d) || d.getUTCFullYear() < 1971 ? null : d;
}

// byParty orders legs caller, callee when they name their party.
function byParty(ls) {
  if (!ls.some((l) => l && l.party)) return ls;
  return [ls.find((l) => l && l.party === 'caller'), ls.find((l) => l && l.party === 'callee')];
}

function leg(l) {
  if (!l) return null;
  return {
    packets: pick(l, 'packets', 'Packets'),
    lost: pick(l, 'lost', 'Lost', 'packets_lost'),
    jitterMs: pick(l, 'jitter_ms', 'JitterMs', 'jitter'),
    mos: pick(l, 'mos', 'MOS'),
  };
}

export function recording(r) {
  const legs = byParty(pick(r, 'legs', 'Legs') || []);
  const q = pick(r, 'quality') || {};
  return {
    id: pick(r, 'id', 'ID'),
    callId: pick(r, 'call_id', 'CallID') || '',
    caller: pick(r, 'caller', 'Caller') || '',
    callee: pick(r, 'callee', 'Callee') || '',
    callerName: pick(r, 'caller_name', 'CallerName') || '',
    calleeName: pick(r, 'callee_name', 'CalleeName') || '',
    direction: pick(r, 'direction', 'Direction') || '',
    started: time(r, 'started', 'started_at', 'Started', 'start'),
    answered: time(r, 'answered', 'answered_at', 'Answered'),
    ended: time(r, 'ended', 'ended_at', 'Ended', 'end'),
    durationMs: dur(r, 'duration'),
    codecs: pick(r, 'codecs', 'Codecs') || '',
    profile: pick(r, 'profile', 'Profile') || '',
    format: pick(r, 'format', 'Format') || '',
    size: pick(r, 'size', 'Size'),
    checksum: pick(r, 'checksum', 'Checksum') || '',
    status: pick(r, 'status', 'Status') || '',
    reason: pick(r, 'reason', 'Reason') || '',
    node: pick(r, 'node', 'Node') || '',
    labels: pick(r, 'labels', 'Labels') || {},
    legs: [leg(legs[0] || pick(q, 'caller') || pick(r, 'caller_quality')), leg(legs[1] || pick(q, 'callee') || pick(r, 'callee_quality'))],
    events: (pick(r, 'events', 'Events') || []).map((e) => ({
      type: pick(e, 'type', 'Type') || '',
      atMs: dur(e, 'at') ?? dur(e, 'offset') ?? 0,
      durationMs: dur(e, 'duration') ?? 0,
      party: pick(e, 'party', 'Party') || '',
      value: pick(e, 'value', 'Value') ?? '',
      // A keyword's: the engine's confidence (0..1) and what found it.
      confidence: pick(e, 'confidence', 'Confidence'),
      source: pick(e, 'source', 'Source') || '',
    })),
    files: (pick(r, 'files') || []).map((f, i) => ({
      index: pick(f, 'index') ?? i, party: pick(f, 'party') || '', part: pick(f, 'part') || 1,
      bytes: pick(f, 'bytes', 'size'), audio: pick(f, 'audio') || '',
    })).filter((f) => f.audio),
    audioUrl: pick(r, 'audio', 'audio_url') || `/api/recordings/${encodeURIComponent(pick(r, 'id', 'ID'))}/audio`,
  };
}

// page normalises a search answer: {items, next} (or {recordings, next}).
export function page(p) {
  const items = pick(p, 'items', 'recordings', 'Recordings') || (Array.isArray(p) ? p : []);
  return { items: items.map(recording), next: pick(p, 'next_cursor', 'next', 'Next') || '' };
}

// detection normalises an event of GET /api/events (asr.Event): a
// keyword spotted in a call in progress.
export function detection(e) {
  return {
    callId: pick(e, 'call_id') || '',
    recording: pick(e, 'recording') || '',
    party: pick(e, 'leg', 'party') || '',
    type: pick(e, 'type') || 'keyword',
    keyword: pick(e, 'keyword', 'value') || '',
    atMs: dur(e, 'start') ?? 0,
    confidence: pick(e, 'confidence'),
    source: pick(e, 'source') || '',
    caller: pick(e, 'caller') || '',
    callee: pick(e, 'callee') || '',
    time: time(e, 'time'),
  };
}

// call normalises a live call of GET /api/calls, quality included when
// the API gives it.
export function call(c) {
  const q = pick(c, 'streams', 'quality', 'legs') || null;
  return {
    callId: pick(c, 'call_id', 'CallID') || '',
    caller: pick(c, 'caller') || '',
    callee: pick(c, 'callee') || '',
    started: time(c, 'started'),
    answered: time(c, 'answered'),
    anchored: !!pick(c, 'anchored'),
    recording: !!pick(c, 'recording'),
    // The API does not say whether a recording is paused: undefined.
    paused: pick(c, 'paused', 'recording_paused'),
    durationMs: dur(c, 'duration'),
    mediaNode: pick(c, 'media_node') || '',
    quality: Array.isArray(q) ? (q.length ? byParty(q).map(leg) : null) : q ? [leg(q.caller), leg(q.callee)] : null,
  };
}
