// Length guidance on the work screens: a live word count beside the free text ("84 words (aim for
// 80-200)") when the project asks for a length, and a warning before a submit whose text is shorter or
// longer than asked. The warning asks for a second submit (Ctrl+Enter or the button again) and never
// refuses: the server stores the work either way. Counting matches annotations/validation.py
// (word_count: runs of non-space characters).

const counter = () => document.getElementById('word-count');
const editor = () => document.querySelector('#work-form textarea[data-instrument]');
const warning = () => document.getElementById('length-warning');

function words(text) {
  const trimmed = text.trim();
  return trimmed ? trimmed.split(/\s+/).length : 0;
}

function guidance() {
  const el = counter();
  if (!el) return null;
  const min = Number(el.dataset.min) || 0;
  const max = Number(el.dataset.max) || 0;
  let aim = `aim for at most ${max}`;
  if (min && max) aim = `aim for ${min}-${max}`;
  else if (min) aim = `aim for at least ${min}`;
  return { el, min, max, aim, optional: 'optional' in el.dataset };
}

function measure() {
  const g = guidance();
  const field = editor();
  if (!g || !field) return null;
  const count = words(field.value);
  const outside = !(count === 0 && g.optional) && ((g.min && count < g.min) || (g.max && count > g.max));
  return { ...g, count, outside: Boolean(outside) };
}

function update() {
  const m = measure();
  if (!m) return;
  m.el.textContent = `${m.count} word${m.count === 1 ? '' : 's'} (${m.aim})`;
  m.el.classList.toggle('outside', m.outside);
  const form = document.getElementById('work-form');
  if (!m.outside && form) {
    delete form.dataset.lengthWarned;
    const w = warning();
    if (w) w.hidden = true;
  }
}

// Capture phase on the document: runs before htmx's own submit handler on the form, so a held-back
// submit never reaches the server (nor the recorder's final flush).
document.addEventListener(
  'submit',
  (event) => {
    const form = event.target;
    if (!form || form.id !== 'work-form') return;
    const submitter = event.submitter;
    if (submitter && submitter.value !== 'submit') return; // drafts are never held back
    const m = measure();
    if (!m || !m.outside || form.dataset.lengthWarned) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    form.dataset.lengthWarned = '1';
    const w = warning();
    if (w) {
      const side = m.min && m.count < m.min ? 'shorter' : 'longer';
      w.textContent =
        `${m.count} word${m.count === 1 ? '' : 's'}: ${side} than this project asks (${m.aim}). ` +
        'Submit again (Ctrl+Enter or the button) to hand it in as it is, or keep writing.';
      w.hidden = false;
    }
  },
  true,
);

document.addEventListener('input', (event) => {
  if (event.target && event.target.matches && event.target.matches('#work-form textarea[data-instrument]')) update();
});
// A new task swapped in by htmx, or a draft put back on load.
document.addEventListener('htmx:load', update);
update();
