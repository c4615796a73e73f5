// The export page: after "Create and download" made an export, the page comes back with ?made=<uid>;
// its download starts at once, and the address loses ?made= so a reload does not download it again.
const link = document.querySelector('a[data-download-now]');
if (link) {
  history.replaceState(null, '', location.pathname + location.hash);
  link.click();
}
