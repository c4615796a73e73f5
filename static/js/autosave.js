// Drafts save themselves on the work screens (write, classify, compare).
//
// A few seconds after the last change, and at once when the page is hidden or left (reload, another
// tab, closing), the work form is posted as a draft (action=draft&autosave=1) with fetch; the server
// answers JSON, keeps the draft and renders it on the next visit. Until the server has confirmed a
// change, a copy of the form waits in sessionStorage, so a reload that outruns its save still finds
// everything as it was (the copy is put back, then saved).
//
// Autosave never submits and never blocks typing. A failed save says so beside the buttons and tries
// again; work already handed in answers 409, which only means "nothing left to save here". Ctrl+S and
// Submit keep going through htmx (annotate.js, telemetry.js): autosave stands aside while a submit is
// on its way and forgets a form once htmx has swapped it out.
//
// This module runs before telemetry.js (see work_base.html), so a copy put back on load is the text the
// editor starts with, not an insertion the recorder would see.

const DELAY_MS = 2000; // after the last change
const MAX_WAIT_MS = 10000; // typing without a pause still saves this often
const RETRY_MS = [2000, 4000, 8000, 15000, 30000]; // after failed saves, one after another
const STORE_PREFIX = 'scriptorium.draft:';
const NOT_COMPARED = new Set(['csrfmiddlewaretoken', 'final_seq', 'active_seconds', 'action', 'autosave']);

let delayMs = DELAY_MS;
let maxWaitMs = MAX_WAIT_MS;
let current = null; // the Draft of the form on screen
const drafts = new WeakMap(); // form -> Draft

function fieldsOf(form) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    if (!NOT_COMPARED.has(name) && typeof value === 'string') params.append(name, value);
  }
  return params.toString();
}

function readStore(key) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(key));
    return saved && typeof saved.fields === 'string' ? saved : null;
  } catch {
    return null;
  }
}

function writeStore(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or refused: the server save still runs
  }
}

// Put saved fields back into the form. Text is set without input events (nobody typed it now);
// radios and checkboxes announce their change so the screen (tie marks, active row) follows.
function applyFields(form, encoded) {
  const values = new Map();
  for (const [name, value] of new URLSearchParams(encoded)) {
    if (!values.has(name)) values.set(name, []);
    values.get(name).push(value);
  }
  for (const el of form.elements) {
    if (!el.name || NOT_COMPARED.has(el.name)) continue;
    const given = values.get(el.name) || [];
    if (el.type === 'radio' || el.type === 'checkbox') {
      const on = given.includes(el.value);
      if (el.checked !== on) {
        el.checked = on;
        el.dispatchEvent(new Event('change', { bubbles: true }));
      }
    } else if (el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && el.type !== 'hidden')) {
      if (given.length && el.value !== given[0]) el.value = given[0];
    }
  }
}

class Draft {
  constructor(form) {
    this.form = form;
    this.url = form.getAttribute('action');
    this.annotationId = form.closest('#work-area')?.dataset.annotationId || this.url;
    this.key = STORE_PREFIX + this.annotationId;
    this.saved = fieldsOf(form); // what the server rendered is what it holds
    const el = this.indicator();
    this.savedAt = (el && el.dataset.savedAt) || '';
    this.savedText = el ? el.textContent.trim() : '';
    this.timer = 0; // the next save (debounce or retry)
    this.unsavedSince = 0; // when the first change not yet sent was made
    this.copyTimer = 0; // the next sessionStorage copy
    this.inFlight = 0; // saves sent and not yet answered
    this.again = false; // a save was asked for while one was on its way
    this.leaving = null; // the fields of the last save sent as the page went away
    this.failures = 0;
    this.submitting = false;
    this.manual = null; // the fields a Ctrl+S sent, until its answer is in
    this.done = false; // handed in, or swapped out: nothing more to save from this form
  }

  indicator() {
    return this.form.querySelector('#draft-indicator');
  }

  show(text, tone = '') {
    const el = this.indicator();
    if (!el || (el.textContent === text && el.firstElementChild?.className === tone)) return;
    const span = document.createElement('span');
    if (tone) span.className = tone;
    span.textContent = text;
    el.replaceChildren(span);
  }

  showSaved() {
    const el = this.indicator();
    if (!el) return;
    const [label, time] = this.savedText.split(/ (?=\d\d:\d\d:\d\d$)/);
    el.replaceChildren(document.createTextNode(time ? `${label} ` : this.savedText));
    if (time) {
      const stamp = document.createElement('time');
      stamp.dateTime = this.savedAt;
      stamp.textContent = time;
      el.append(stamp);
    }
    el.dataset.savedAt = this.savedAt;
  }

  get live() {
    return !this.done && this.form.isConnected;
  }

  get dirty() {
    return this.live && fieldsOf(this.form) !== this.saved;
  }

  keepCopy() {
    clearTimeout(this.copyTimer);
    this.copyTimer = 0;
    if (!this.live) return;
    const fields = fieldsOf(this.form);
    if (fields === this.saved) this.forget();
    else writeStore(this.key, { fields, base: this.savedAt, at: Date.now() });
  }

  forget() {
    writeStore(this.key, null);
  }

  // On first load: a copy this tab kept of changes the server never confirmed, newer than the server's draft.
  restore() {
    const kept = readStore(this.key);
    if (!kept) return false;
    const newer = !this.savedAt || kept.base === this.savedAt || !(Date.parse(this.savedAt) >= kept.at);
    if (!newer || kept.fields === this.saved) {
      this.forget();
      return false;
    }
    applyFields(this.form, kept.fields);
    if (!this.dirty) {
      this.forget();
      return false;
    }
    this.save();
    if (this.inFlight) this.show('Unsaved changes put back from this browser; saving…', 'muted');
    return true;
  }

  changed() {
    if (!this.live) return;
    // The copy is written a moment later (not on every keystroke); leaving the page writes it at once.
    if (!this.copyTimer) this.copyTimer = setTimeout(() => this.keepCopy(), 250);
    if (this.submitting) return;
    const now = Date.now();
    if (!this.unsavedSince) this.unsavedSince = now;
    if (this.failures) return; // the retry is already set (typing does not hurry it)
    this.schedule(Math.min(delayMs, Math.max(0, this.unsavedSince + maxWaitMs - now)));
    if (!this.inFlight && !this.failures) this.show('Unsaved changes', 'muted');
  }

  schedule(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(), ms);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = 0;
  }

  finish() {
    this.stop();
    clearTimeout(this.copyTimer);
    this.done = true;
    this.forget();
  }

  // leaving: the page is being hidden or unloaded; the request must outlive it (keepalive).
  save({ leaving = false } = {}) {
    this.stop();
    if (!this.live || this.submitting) return;
    const fields = fieldsOf(this.form);
    if (fields === this.saved) {
      this.forget();
      if (!this.inFlight && !this.failures) this.showSaved();
      return;
    }
    if (leaving) {
      this.keepCopy(); // whatever happens to the request, a reload finds the copy
      if (this.inFlight && this.leaving === fields) return; // hidden, then unloaded: sent already
      this.leaving = fields;
    } else if (this.inFlight) {
      this.again = true; // one save at a time; its answer sends the rest
      return;
    }
    const body = new URLSearchParams();
    for (const [name, value] of new FormData(this.form)) {
      if (name !== 'final_seq' && typeof value === 'string') body.append(name, value);
    }
    body.set('action', 'draft');
    body.set('autosave', '1');
    // The cookie's token outlives a log-in in another tab (which replaces it); the page's would be refused.
    const token = csrfCookie() || body.get('csrfmiddlewaretoken') || '';
    body.set('csrfmiddlewaretoken', token);
    let request;
    try {
      request = fetch(this.url, {
        method: 'POST',
        body,
        headers: { 'X-CSRFToken': token, Accept: 'application/json' },
        credentials: 'same-origin',
        redirect: 'manual', // logged out: the login page is not a saved draft
        keepalive: leaving,
      });
    } catch {
      return; // over the browser's keepalive size limit: the sessionStorage copy is what survives
    }
    this.inFlight += 1;
    this.unsavedSince = 0;
    if (!leaving) this.show('Saving…', 'muted');
    request
      .then(async (response) => {
        const json = (response.headers.get('Content-Type') || '').includes('application/json');
        const data = json ? await response.json().catch(() => null) : null;
        this.answered(response.type === 'opaqueredirect' ? 'login' : response.status, data, fields);
      })
      .catch(() => this.answered(0, null, fields));
  }

  answered(status, data, fields) {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (status === 409) {
      this.finish(); // handed in meanwhile: the submitted work stands, nothing to say
      return;
    }
    if (!this.live) return;
    const again = this.again;
    this.again = false;
    if (status === 200 && data && data.saved_at) {
      this.failures = 0;
      this.saved = fields;
      this.savedAt = data.saved_at;
      this.savedText = data.indicator || 'Draft saved';
      if (!this.inFlight) this.showSaved();
      if (fieldsOf(this.form) === fields) this.forget();
      else if (again) this.save();
      else if (!this.submitting) this.changed();
      return;
    }
    if (status === 400 && data && data.detail) {
      this.show(data.detail, 'bad'); // this content cannot be stored: a retry would be refused the same way
      return;
    }
    const wait = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)];
    this.failures += 1;
    const why =
      status === 'login'
        ? 'you are logged out: log in again in another tab'
        : status === 403 || status === 404
          ? `this task is not open to you now, ${status}`
          : status
            ? `the server answered ${status}`
            : 'the server could not be reached';
    this.show(
      `Autosave failed (${why}); trying again in ${Math.round(wait / 1000)} s. What you typed is kept in this browser.`,
      'bad',
    );
    if (!this.submitting) this.schedule(wait);
  }
}

function csrfCookie() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : '';
}

function draftOf(target) {
  const form = target && target.closest ? target.closest('form[data-autosave]') : null;
  return form ? drafts.get(form) || null : null;
}

function init(root) {
  const form = (root && root.querySelector && root.querySelector('form[data-autosave]')) || null;
  if (!form || drafts.has(form)) return;
  const draft = new Draft(form);
  drafts.set(form, draft);
  if (current && current !== draft && !current.form.isConnected) current.finish();
  current = draft;
  return draft;
}

function onEdit(event) {
  const draft = draftOf(event.target);
  if (draft) draft.changed();
}

function onSubmit(event) {
  const draft = drafts.get(event.target);
  if (!draft) return;
  const submitter = event.submitter;
  draft.stop();
  if (submitter && submitter.name === 'action' && submitter.value === 'draft') {
    draft.manual = fieldsOf(draft.form); // Ctrl+S: htmx sends it; its answer updates the indicator
  } else if (!(submitter && submitter.name === 'action' && submitter.value === 'skip')) {
    draft.submitting = true;
  }
}

function onAfterRequest(event) {
  const elt = event.detail && event.detail.elt;
  const draft = elt instanceof HTMLFormElement ? drafts.get(elt) : null;
  if (!draft) return;
  draft.submitting = false;
  // After htmx settles: either the next task replaced this form (handed in) or the form is still here.
  setTimeout(() => {
    if (!draft.form.isConnected) {
      draft.finish();
      return;
    }
    const el = draft.indicator();
    if (draft.manual !== null && el && el.dataset.savedAt && el.dataset.savedAt !== draft.savedAt) {
      draft.saved = draft.manual; // the Ctrl+S save went through
      draft.savedAt = el.dataset.savedAt;
      draft.savedText = el.textContent.trim();
      draft.failures = 0;
    }
    draft.manual = null;
    if (draft.dirty) draft.changed();
    else draft.forget();
  }, 0);
}

function onLeave() {
  if (current && current.dirty && !current.submitting) current.save({ leaving: true });
}

document.addEventListener('input', onEdit, true);
document.addEventListener('change', onEdit, true);
document.addEventListener('submit', onSubmit, true);
document.addEventListener('htmx:afterRequest', onAfterRequest);
document.addEventListener('htmx:load', (event) => init(event.detail && event.detail.elt));
// Back from another tab (where one may have logged in again) or back online: a failed save need not wait.
function onReturn() {
  if (current && current.failures && !current.inFlight) current.save();
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') onLeave();
  else onReturn();
});
window.addEventListener('pagehide', onLeave);
window.addEventListener('focus', onReturn);
window.addEventListener('online', onReturn);

// Test hook: the debounce, the longest wait, and whether anything is waiting (no content).
window.scriptoriumAutosave = {
  get delayMs() {
    return delayMs;
  },
  set delayMs(ms) {
    delayMs = ms;
  },
  get maxWaitMs() {
    return maxWaitMs;
  },
  set maxWaitMs(ms) {
    maxWaitMs = ms;
  },
  pending: () => Boolean(current && current.dirty),
  flush: () => current && current.save(),
};

const first = init(document);
if (first) first.restore();
