// Instrumented editors: records how an answer was written (key classes, inputs, pastes, reference
// reading, snapshots) and streams it to the telemetry socket (protocol: docs/telemetry-events.md).
//
// Privacy: only textarea[data-instrument] inside form[data-telemetry-url] is listened to; a key
// event keeps its class, never its character; pasted/copied text leaves the page only as a salted
// hash and a length. The text itself is sent only as "rev" snapshots of the answer being written.
//
// Delivery: every event gets the session's next seq and a monotonic t; unacked events live in
// memory and in sessionStorage (keyed by the session URL) until the server acks them, so a reload
// or a dropped connection loses nothing: a later page load resends a previous session's leftovers
// to that session's socket.

const STORE_PREFIX = "scriptorium.telemetry.v1:";
const BATCH_MS = 250;
const PAUSE_MS = 2000;
const IDLE_MS = 60000; // no activity for this long: the clock of active time stops
const MAX_EVENTS = 500; // per frame (server limit)
const MAX_BYTES = 192 * 1024; // per frame, well under the server's 256 KiB
const MAX_IN_FLIGHT_FRAMES = 4;
const SUBMIT_WAIT_MS = 2000; // how long a submit waits for the server to ack its last events
const SCROLL_EVERY_MS = 250;
const BACKOFF_MIN_MS = 300;
const BACKOFF_MAX_MS = 10000;
// Refusals that a retry cannot fix. 4401 keeps the stored events (a later page, logged in, resends).
const CLOSE_NOT_LOGGED_IN = 4401;
const CLOSE_UNDELIVERABLE = new Set([4403, 4404, 4409]);

const NAV_KEYS = new Set([
  "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown", "Tab",
]);
const MODIFIER_KEYS = new Set([
  "Shift", "Control", "Alt", "AltGraph", "Meta", "CapsLock", "Fn", "FnLock", "NumLock", "ScrollLock",
  "Hyper", "Super", "Symbol", "SymbolLock", "OS",
]);
const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{N}$/u;

// ---------------------------------------------------------------------------------------------
// Per-keystroke cost accounting for bench/editor_overhead.py: off unless the page asks for it.
const cost =
  window.__telemetryCost ||
  (document.documentElement.hasAttribute("data-telemetry-cost") ? (window.__telemetryCost = {}) : null);
if (cost) Object.assign(cost, { ms: 0, calls: 0, tickMs: 0, ticks: 0, socketMs: 0, byType: {} });

function timed(fn) {
  if (!cost) return fn;
  return function (event) {
    const start = performance.now();
    try {
      return fn.call(this, event);
    } finally {
      const spent = performance.now() - start;
      cost.ms += spent;
      cost.calls += 1;
      const slot = (cost.byType[event.type] ||= { ms: 0, calls: 0 });
      slot.ms += spent;
      slot.calls += 1;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Hashing: SHA-256(salt + text), first 16 hex chars. crypto.subtle exists only in secure contexts
// (https, localhost, 127.0.0.1); elsewhere the same digest is computed by the small version below.

let SHA_K = null;
let SHA_H0 = null;

function shaConstants() {
  // First 32 bits of the fractional parts of the square / cube roots of the first primes.
  const primes = [];
  for (let n = 2; primes.length < 64; n++) if (primes.every((p) => n % p)) primes.push(n);
  const frac = (x) => ((x - Math.floor(x)) * 2 ** 32) >>> 0;
  SHA_H0 = Uint32Array.from(primes.slice(0, 8), (p) => frac(Math.sqrt(p)));
  SHA_K = Uint32Array.from(primes, (p) => frac(Math.cbrt(p)));
}

export function sha256Hex(text) {
  if (!SHA_K) shaConstants();
  const bytes = new TextEncoder().encode(text);
  const n = bytes.length;
  const words = new Uint32Array((((n + 8) >> 6) + 1) << 4);
  for (let i = 0; i < n; i++) words[i >> 2] |= bytes[i] << (24 - (i & 3) * 8);
  words[n >> 2] |= 0x80 << (24 - (n & 3) * 8);
  words[words.length - 1] = (n * 8) >>> 0;
  words[words.length - 2] = Math.floor((n * 8) / 2 ** 32);
  const h = Uint32Array.from(SHA_H0);
  const w = new Uint32Array(64);
  const ror = (x, r) => (x >>> r) | (x << (32 - r));
  for (let block = 0; block < words.length; block += 16) {
    for (let i = 0; i < 16; i++) w[i] = words[block + i];
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15];
      const b = w[i - 2];
      const s0 = ror(a, 7) ^ ror(a, 18) ^ (a >>> 3);
      const s1 = ror(b, 17) ^ ror(b, 19) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + SHA_K[i] + w[i]) | 0;
      const t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  return Array.from(h, (x) => x.toString(16).padStart(8, "0")).join("");
}

export async function saltedHash(salt, text) {
  const input = (salt || "") + text;
  if (globalThis.crypto && crypto.subtle) {
    try {
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(input));
      return Array.from(new Uint8Array(digest).slice(0, 8), (x) => x.toString(16).padStart(2, "0")).join("");
    } catch {
      // fall through to the local digest
    }
  }
  return sha256Hex(input).slice(0, 16);
}

// ---------------------------------------------------------------------------------------------
// Classification

export function keyClass(event) {
  const key = event.key || "";
  const single = key.length === 1 || (key.length === 2 && key.charCodeAt(0) >= 0xd800 && key.charCodeAt(0) < 0xdc00);
  if (single) {
    // A shortcut (Ctrl+V) is not a typed character; AltGr (Ctrl+Alt) produces characters.
    if ((event.ctrlKey && !event.altKey) || event.metaKey) return "other";
    if (key === " ") return "space";
    if (LETTER.test(key)) return "letter";
    if (DIGIT.test(key)) return "digit";
    return "punct";
  }
  if (key === "Enter") return "enter";
  if (key === "Backspace") return "backspace";
  if (key === "Delete") return "delete";
  if (NAV_KEYS.has(key)) return "nav";
  if (MODIFIER_KEYS.has(key)) return "modifier";
  return "other";
}

const squash = (text) => text.replace(/\s+/g, " ").trim();

function containedIn(selector, text) {
  for (const el of document.querySelectorAll(selector)) {
    if (squash(el.textContent || "").includes(text)) return true;
  }
  return false;
}

function sourceOf(session, text, hash) {
  if (session.selfHashes.has(hash)) return "self";
  const needle = squash(text);
  if (!needle) return "external";
  if (containedIn("[data-task-text]", needle)) return "task";
  if (containedIn("details[data-reference-id] .reference-body, details[data-reference-id]", needle)) {
    return "reference";
  }
  return "external";
}

function byteLength(json) {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(json) ? new TextEncoder().encode(json).length : json.length;
}

function socketUrl(path) {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

function store(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Storage full or disabled: the in-memory queue still delivers while the page lives.
  }
}

// ---------------------------------------------------------------------------------------------
// Sessions

const sessions = []; // live: capturing, or draining what is left of an earlier page/form
const finished = []; // summaries of drained sessions (debug hook)
const formSessions = new WeakMap(); // form -> Session
const editors = new WeakMap(); // textarea -> per-editor state
const awaitingHash = new WeakSet(); // events not to send before their hash is known
let lastUserActivity = performance.now();

class Session {
  constructor({ url, salt, form = null, saved = null }) {
    this.url = url;
    this.salt = salt || "";
    this.form = form;
    this.key = STORE_PREFIX + url;
    this.t0 = performance.now();
    this.clockUnknown = !!saved; // restored from storage: t continues from its last event if reused
    this.seq = saved ? saved.lastSeq || 0 : 0;
    this.queue = saved && Array.isArray(saved.events) ? saved.events.filter((e) => e && e.seq > 0) : [];
    this.acked = 0;
    this.sentUpto = 0;
    this.socket = null;
    this.ready = false;
    this.attempt = 0;
    this.retryAt = 0;
    this.pausedUntil = 0;
    this.dead = 0; // the close code that ended delivery
    this.dirty = this.queue.length > 0;
    this.maxEvents = MAX_EVENTS;
    this.maxBytes = MAX_BYTES;
    this.quarantined = 0;
    this.restored = this.queue.length; // events left by an earlier page, from sessionStorage
    this.readies = 0; // "ready" frames received: connections made
    this.rateLimited = 0;
    this.limitedInARow = 0;
    this.activeMs = 0;
    this.lastTick = this.t0;
    this.lastActivity = this.t0;
    this.submitEvent = null; // the submit event whose snapshot is recorded
    this.fields = new Set(); // editor states of this session's textareas
    this.selfHashes = new Set();
    this.waiters = [];
  }

  get capturing() {
    return this.form !== null;
  }

  push(event) {
    event.seq = ++this.seq;
    const now = performance.now();
    event.t = Math.round((now - this.t0) * 10) / 10;
    this.queue.push(event);
    this.dirty = true;
    this.lastActivity = now;
    return event;
  }

  rev(editor, why) {
    const text = editor.el.value;
    this.push({ k: "rev", field: editor.field, text, why });
    editor.lastRev = text;
    editor.changed = false;
  }

  // ---- delivery ------------------------------------------------------------------------------

  connect() {
    let socket;
    try {
      socket = new WebSocket(socketUrl(this.url));
    } catch (error) {
      console.warn("telemetry: cannot open the socket", error);
      this.retryAt = performance.now() + this.backoff();
      return;
    }
    this.socket = socket;
    this.ready = false;
    socket.onmessage = (message) => {
      const start = cost ? performance.now() : 0;
      this.receive(message.data);
      if (cost) cost.socketMs += performance.now() - start;
    };
    socket.onclose = (close) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.ready = false;
      if (close.code === CLOSE_NOT_LOGGED_IN || CLOSE_UNDELIVERABLE.has(close.code)) {
        this.dead = close.code;
        console.warn(`telemetry: ${this.url} refused with ${close.code}`);
        if (CLOSE_UNDELIVERABLE.has(close.code)) {
          this.queue = [];
          store(this.key, null);
        }
        this.release();
        return;
      }
      this.retryAt = performance.now() + this.backoff();
    };
  }

  backoff() {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    this.attempt += 1;
    return ceiling * (0.5 + Math.random() * 0.5);
  }

  receive(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (frame.type === "ready") {
      this.ready = true;
      this.readies += 1;
      this.attempt = 0;
      this.acknowledge(frame.upto);
      this.sentUpto = this.acked; // resend everything after the server's point
      this.pump();
    } else if (frame.type === "ack") {
      this.limitedInARow = 0;
      this.acknowledge(frame.upto);
      this.pump();
    } else if (frame.type === "error") {
      this.refused(frame);
    }
  }

  acknowledge(upto) {
    if (!Number.isInteger(upto) || upto < 0) return;
    if (upto > this.acked) this.acked = upto;
    if (this.queue.length && this.queue[0].seq <= upto) {
      this.queue = this.queue.filter((e) => e.seq > upto);
      this.dirty = true;
    }
    if (this.sentUpto < this.acked) this.sentUpto = this.acked;
    this.release();
  }

  refused(frame) {
    if (frame.code === "bad_events" && Array.isArray(frame.seqs)) {
      // The server keeps those in quarantine with the reason: resending would not change them.
      const bad = new Set(frame.seqs);
      const before = this.queue.length;
      this.queue = this.queue.filter((e) => !bad.has(e.seq));
      this.quarantined += before - this.queue.length;
      this.dirty = true;
      this.release();
      return;
    }
    if (frame.code === "too_large" || frame.code === "bad_frame") {
      this.maxEvents = Math.max(1, Math.floor(this.maxEvents / 2));
      this.maxBytes = Math.max(16 * 1024, Math.floor(this.maxBytes / 2));
    } else if (frame.code === "rate_limited") {
      // Wait at least as long as the server says, longer each time in a row, with jitter.
      const hint = Number.isFinite(frame.retry_ms) ? frame.retry_ms : 0;
      const wait = Math.min(BACKOFF_MAX_MS, BATCH_MS * 2 ** this.limitedInARow) * (0.5 + Math.random() * 0.5);
      this.limitedInARow += 1;
      this.rateLimited += 1;
      this.pausedUntil = performance.now() + Math.max(hint, wait);
    }
    this.sentUpto = this.acked; // the refused frame is resent (duplicates are ignored server-side)
  }

  pump() {
    if (this.dead) return;
    const now = performance.now();
    if (!this.socket) {
      if (now >= this.retryAt && (this.queue.length || this.capturing)) this.connect();
      return;
    }
    if (!this.ready || this.socket.readyState !== WebSocket.OPEN || now < this.pausedUntil) return;
    const queue = this.queue;
    let i = 0;
    while (i < queue.length && queue[i].seq <= this.sentUpto) i++;
    // Unacked frames on the wire are bounded: a slow server slows the sender, not the editor.
    const horizon = this.acked + MAX_IN_FLIGHT_FRAMES * this.maxEvents;
    while (i < queue.length && queue[i].seq <= horizon) {
      const parts = [];
      let bytes = 32;
      let last = 0;
      let blocked = false;
      for (; i < queue.length && parts.length < this.maxEvents && queue[i].seq <= horizon; i++) {
        const event = queue[i];
        if (awaitingHash.has(event)) {
          blocked = true;
          break;
        }
        const json = JSON.stringify(event);
        const size = byteLength(json) + 1;
        if (parts.length && bytes + size > this.maxBytes) break;
        parts.push(json);
        bytes += size;
        last = event.seq;
      }
      if (!parts.length) break;
      this.socket.send(`{"type":"events","events":[${parts.join(",")}]}`);
      this.sentUpto = last;
      if (blocked) break;
    }
  }

  persist() {
    if (!this.dirty) return;
    this.dirty = false;
    if (!this.queue.length) {
      store(this.key, null);
      return;
    }
    store(this.key, JSON.stringify({ url: this.url, salt: this.salt, lastSeq: this.seq, events: this.queue }));
  }

  // Resolves when every event up to `seq` is acked (or quarantined), or after `ms`.
  settled(seq, ms) {
    if (this.dead || !this.queue.length || this.queue[0].seq > seq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { seq, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, ms);
    });
  }

  release() {
    if (!this.waiters.length) return;
    const low = this.dead || !this.queue.length ? Infinity : this.queue[0].seq;
    this.waiters = this.waiters.filter((w) => {
      if (w.seq >= low) return true;
      w.resolve(true);
      return false;
    });
  }

  close() {
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.close(1000);
    }
  }

  summary() {
    return {
      url: this.url,
      lastSeq: this.seq,
      acked: this.acked,
      pending: this.queue.length,
      quarantined: this.quarantined,
      restored: this.restored,
      connections: this.readies,
      rateLimited: this.rateLimited,
      capturing: this.capturing,
      connected: this.ready,
      refused: this.dead || null,
    };
  }
}

function liveSession(el) {
  const form = el && el.closest ? el.closest("form[data-telemetry-url]") : null;
  const own = form && formSessions.get(form);
  if (own && own.capturing) return own;
  for (let i = sessions.length - 1; i >= 0; i--) if (sessions[i].capturing) return sessions[i];
  return null;
}

// ---------------------------------------------------------------------------------------------
// Editor listeners (attached to instrumented textareas only)

function onKeydown(event) {
  const editor = editors.get(this);
  editor.session.push({ k: "key", cls: keyClass(event), rep: event.repeat, field: editor.field, trusted: event.isTrusted });
}

function onBeforeInput() {
  const editor = editors.get(this);
  editor.pos = this.selectionStart;
  editor.before = this.textLength;
}

function onInput(event) {
  const editor = editors.get(this);
  const len = this.textLength;
  let pos = editor.pos;
  let before = editor.before;
  if (before < 0) {
    // No beforeinput (rare): infer from the caret after the change.
    before = editor.len;
    pos = Math.max(0, this.selectionStart - Math.max(0, len - before));
  }
  editor.before = -1;
  editor.len = len;
  editor.changed = true;
  editor.lastInputAt = performance.now();
  editor.session.push({
    k: "input",
    it: event.inputType || "unknown",
    pos,
    d: len - before,
    len,
    field: editor.field,
    trusted: event.isTrusted,
  });
}

function clip(kind, editor, text, trusted, src) {
  const session = editor.session;
  const event = session.push({ k: kind, len: text.length, src: src || "external", h: "", field: editor.field, trusted });
  awaitingHash.add(event);
  saltedHash(session.salt, text).then((hash) => {
    event.h = hash;
    if (kind === "paste") event.src = sourceOf(session, text, hash);
    else session.selfHashes.add(hash);
    awaitingHash.delete(event);
    session.dirty = true;
  });
}

function onPaste(event) {
  const text = event.clipboardData ? event.clipboardData.getData("text/plain") : "";
  clip("paste", editors.get(this), text, event.isTrusted);
}

function onCopyOrCut(event) {
  const text = this.value.slice(this.selectionStart, this.selectionEnd);
  clip(event.type, editors.get(this), text, event.isTrusted, "self");
}

function onCompositionStart(event) {
  const editor = editors.get(this);
  editor.session.push({ k: "comp", phase: "start", field: editor.field, trusted: event.isTrusted });
}

function onCompositionEnd(event) {
  const editor = editors.get(this);
  const len = (event.data || "").length;
  editor.session.push({ k: "comp", phase: "end", len, field: editor.field, trusted: event.isTrusted });
}

function onFocus(event) {
  const editor = editors.get(this);
  editor.session.push({ k: "focus", field: editor.field, trusted: event.isTrusted });
}

function onBlur(event) {
  const editor = editors.get(this);
  editor.session.push({ k: "blur", field: editor.field, trusted: event.isTrusted });
  if (this.value !== editor.lastRev) editor.session.rev(editor, "blur");
}

const EDITOR_LISTENERS = [
  ["keydown", onKeydown],
  ["beforeinput", onBeforeInput],
  ["input", onInput],
  ["paste", onPaste],
  ["copy", onCopyOrCut],
  ["cut", onCopyOrCut],
  ["compositionstart", onCompositionStart],
  ["compositionend", onCompositionEnd],
  ["focus", onFocus],
  ["blur", onBlur],
].map(([type, fn]) => [type, timed(fn)]);

function instrumentEditor(el, session) {
  if (editors.has(el) || el.type === "password") return;
  const editor = {
    el,
    session,
    field: el.name || "text",
    len: el.textLength,
    before: -1,
    pos: 0,
    changed: false,
    lastInputAt: 0,
    lastRev: el.value,
  };
  editors.set(el, editor);
  session.fields.add(editor);
  for (const [type, fn] of EDITOR_LISTENERS) el.addEventListener(type, fn);
  // Already focused when found (autofocus): record the focus; no DOM event, so no "trusted".
  if (document.activeElement === el) session.push({ k: "focus", field: editor.field });
}

function instrumentForm(form) {
  let session = formSessions.get(form);
  if (!session) {
    const url = form.getAttribute("data-telemetry-url");
    if (!url) return;
    // The same session on a new form element (a re-rendered form, or leftovers restored from
    // storage): keep its seq and clock going, never restart at 1 (the server would drop repeats).
    session = sessions.find((s) => s.url === url);
    if (session) {
      if (session.clockUnknown) {
        const last = session.queue[session.queue.length - 1];
        session.t0 = performance.now() - (last ? last.t : 0);
        session.clockUnknown = false;
      }
      session.form = form;
    } else {
      session = new Session({ url, salt: form.getAttribute("data-telemetry-salt"), form });
      sessions.push(session);
    }
    formSessions.set(form, session);
    ensureTicking();
    session.pump();
  }
  for (const el of form.querySelectorAll("textarea[data-instrument]")) instrumentEditor(el, session);
}

function scan(root) {
  if (!(root instanceof Element || root instanceof Document)) return;
  if (root instanceof Element && root.matches("form[data-telemetry-url]")) instrumentForm(root);
  for (const form of root.querySelectorAll("form[data-telemetry-url]")) instrumentForm(form);
  // An editor swapped into a form that is already instrumented.
  const editorsIn = root instanceof Element && root.matches("textarea[data-instrument]") ? [root] : [];
  for (const el of [...editorsIn, ...root.querySelectorAll("textarea[data-instrument]")]) {
    const form = el.closest("form[data-telemetry-url]");
    if (form && formSessions.get(form)) instrumentEditor(el, formSessions.get(form));
  }
}

// ---------------------------------------------------------------------------------------------
// Document-level listeners: references, visibility, submit

const lastScroll = new WeakMap();

function recordScroll(body, details, session) {
  const range = body.scrollHeight - body.clientHeight;
  const frac = range > 0 ? Math.min(1, Math.max(0, body.scrollTop / range)) : 1;
  session.push({ k: "scroll", ref: details.getAttribute("data-reference-id"), frac: Math.round(frac * 1000) / 1000 });
}

function onScroll(event) {
  const body = event.target;
  if (!(body instanceof Element)) return;
  const details = body.closest("details[data-reference-id]");
  const session = details && liveSession(details);
  if (!session) return;
  const now = performance.now();
  const state = lastScroll.get(body) || { at: -Infinity, timer: 0 };
  lastScroll.set(body, state);
  if (now - state.at >= SCROLL_EVERY_MS) {
    state.at = now;
    recordScroll(body, details, session);
  } else if (!state.timer) {
    // Trailing record, so the last position of a fast scroll is kept.
    state.timer = setTimeout(() => {
      state.timer = 0;
      state.at = performance.now();
      recordScroll(body, details, session);
    }, SCROLL_EVERY_MS);
  }
}

function onToggle(event) {
  const details = event.target;
  if (!(details instanceof HTMLDetailsElement) || !details.hasAttribute("data-reference-id")) return;
  const session = liveSession(details);
  if (!session) return;
  session.push({
    k: "nav",
    ref: details.getAttribute("data-reference-id"),
    action: details.open ? "open" : "close",
    trusted: event.isTrusted,
  });
}

function flushAll() {
  for (const session of sessions) {
    session.pump();
    session.persist();
  }
}

function onVisibility() {
  const state = document.visibilityState === "hidden" ? "hidden" : "visible";
  for (const session of sessions) if (session.capturing) session.push({ k: "vis", state });
  if (state === "hidden") flushAll();
  else lastUserActivity = performance.now();
}

function finalFields(form, session) {
  const seq = form.querySelector("input[name=final_seq]");
  if (seq) seq.value = String(session.seq);
  const active = form.querySelector("input[name=active_seconds]");
  if (active) active.value = (session.activeMs / 1000).toFixed(1);
}

function recordSubmit(form, session, trigger) {
  if (trigger && trigger === session.submitEvent) return; // already recorded for this submit
  session.submitEvent = trigger || null;
  accrue(session, performance.now());
  for (const editor of session.fields) {
    if (editor.el.isConnected && form.contains(editor.el)) session.rev(editor, "submit");
  }
  finalFields(form, session);
  session.pump();
  session.persist();
}

const releasing = new WeakSet(); // plain (non-htmx) submits we held back and now let through

function handledByHtmx(form) {
  return (
    !!window.htmx &&
    (["hx-post", "hx-put", "hx-patch", "hx-get"].some((a) => form.hasAttribute(a)) ||
      !!form.closest("[hx-boost='true']"))
  );
}

// A submit that does not hand the work in: a submit button named "action" whose value is not
// "submit" (the work form's "Save draft"). Such a request still carries the active time.
function isInterimSubmit(submitter) {
  return !!submitter && submitter.name === "action" && !!submitter.value && submitter.value !== "submit";
}

function onSubmit(event) {
  const form = event.target;
  const session = form instanceof HTMLFormElement ? formSessions.get(form) : null;
  if (!session || !session.capturing) return;
  if (releasing.has(form)) {
    releasing.delete(form);
    return;
  }
  if (isInterimSubmit(event.submitter)) {
    accrue(session, performance.now());
    finalFields(form, session);
    return;
  }
  recordSubmit(form, session, event);
  if (!handledByHtmx(form) && !session.dead && session.queue.length) {
    // A full-page submit closes the session: let its last events reach the server first.
    event.preventDefault();
    const submitter = event.submitter;
    session.settled(session.seq, SUBMIT_WAIT_MS).then(() => {
      releasing.add(form);
      finalFields(form, session);
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
    });
  }
}

function sessionOfRequest(detail) {
  const elt = detail && detail.elt;
  if (!(elt instanceof Element)) return [null, null];
  const form = elt instanceof HTMLFormElement ? elt : elt.form || elt.closest("form");
  const session = form ? formSessions.get(form) : null;
  return session && session.capturing ? [form, session] : [null, null];
}

function isFinalSubmit(detail) {
  const trigger = detail.triggeringEvent;
  return !!trigger && trigger.type === "submit" && !isInterimSubmit(trigger.submitter);
}

function onHtmxConfirm(event) {
  const detail = event.detail;
  const [, session] = sessionOfRequest(detail);
  if (!session || !isFinalSubmit(detail)) return;
  if (detail.question || session.dead || !session.queue.length) return;
  // Hold the request until the server has committed the events up to the final seq.
  event.preventDefault();
  session.settled(session.seq, SUBMIT_WAIT_MS).then(() => detail.issueRequest(true));
}

function onHtmxConfigRequest(event) {
  const detail = event.detail;
  const [form, session] = sessionOfRequest(detail);
  if (!session) return;
  if (isFinalSubmit(detail)) recordSubmit(form, session, detail.triggeringEvent);
  else accrue(session, performance.now());
  finalFields(form, session);
  if (detail.parameters) {
    if (form.querySelector("input[name=final_seq]")) detail.parameters.final_seq = String(session.seq);
    if (form.querySelector("input[name=active_seconds]")) {
      detail.parameters.active_seconds = (session.activeMs / 1000).toFixed(1);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The clock: batching, pauses, active time, retiring finished sessions

let ticker = 0;

function accrue(session, now) {
  const dt = Math.min(now - session.lastTick, 1000);
  session.lastTick = now;
  const recent = Math.max(session.lastActivity, lastUserActivity);
  if (document.visibilityState === "visible" && now - recent < IDLE_MS && dt > 0) session.activeMs += dt;
}

function tick() {
  const start = cost ? performance.now() : 0;
  const now = performance.now();
  for (const session of [...sessions]) {
    if (session.capturing) {
      if (!session.form.isConnected) {
        session.form = null; // swapped out (e.g. the next task): only its leftovers remain to send
      } else {
        accrue(session, now);
        for (const editor of session.fields) {
          if (editor.changed && now - editor.lastInputAt >= PAUSE_MS && editor.el.isConnected) {
            session.rev(editor, "pause");
          }
        }
      }
    }
    session.pump();
    session.persist();
    if (!session.capturing && (!session.queue.length || session.dead)) {
      session.close();
      sessions.splice(sessions.indexOf(session), 1);
      finished.push(session.summary());
    }
  }
  if (!sessions.length) {
    clearInterval(ticker);
    ticker = 0;
  }
  if (cost) {
    cost.tickMs += performance.now() - start;
    cost.ticks += 1;
  }
}

function ensureTicking() {
  if (!ticker) ticker = setInterval(tick, BATCH_MS);
}

function restoreLeftovers() {
  const keys = [];
  try {
    for (let i = 0; i < sessionStorage.length; i++) {
      const key = sessionStorage.key(i);
      if (key && key.startsWith(STORE_PREFIX)) keys.push(key);
    }
  } catch {
    return;
  }
  for (const key of keys) {
    let saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(key));
    } catch {
      saved = null;
    }
    if (!saved || typeof saved.url !== "string" || !Array.isArray(saved.events) || !saved.events.length) {
      store(key, null);
      continue;
    }
    if (sessions.some((s) => s.url === saved.url)) continue;
    sessions.push(new Session({ url: saved.url, salt: saved.salt, saved }));
  }
  if (sessions.length) {
    ensureTicking();
    for (const session of sessions) session.pump();
  }
}

// ---------------------------------------------------------------------------------------------
// Start

function start() {
  restoreLeftovers();
  scan(document);
  new MutationObserver((records) => {
    for (const record of records) for (const node of record.addedNodes) if (node.nodeType === 1) scan(node);
  }).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("toggle", timed(onToggle), true);
  document.addEventListener("scroll", timed(onScroll), { capture: true, passive: true });
  document.addEventListener("submit", onSubmit, true);
  document.addEventListener("htmx:confirm", onHtmxConfirm);
  document.addEventListener("htmx:configRequest", onHtmxConfigRequest);
  document.addEventListener("visibilitychange", onVisibility);
  window.addEventListener("pagehide", flushAll);
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) for (const session of sessions) session.pump();
  });
  for (const type of ["pointerdown", "wheel"]) {
    document.addEventListener(type, () => (lastUserActivity = performance.now()), { capture: true, passive: true });
  }
}

// Debug/test hook: counts and states only, never text.
window.scriptoriumTelemetry = {
  sessions: () => [...finished, ...sessions.map((s) => s.summary())],
  pending: () => sessions.reduce((n, s) => n + s.queue.length, 0),
  flush: flushAll,
};

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start, { once: true });
else start();
