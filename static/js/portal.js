// Behaviour every page may ask for with a data-* attribute, since the Content-Security-Policy
// allows no inline handlers (onchange="…"):
//   data-submit-on-change  a control whose form is sent as soon as its value changes;
//   data-print             a button that opens the browser's print dialog;
//   data-confirm="…"       a submit button (or its form) whose action ends something: the
//                          question is asked first, whether clicked or pressed by key.
document.addEventListener("change", function (event) {
  const control = event.target.closest("[data-submit-on-change]");
  if (control && control.form) control.form.submit();
});
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});

document.addEventListener("submit", function (event) {
  const asking = (event.submitter && event.submitter.closest("[data-confirm]"))
    || event.target.closest("[data-confirm]");
  if (asking && !window.confirm(asking.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
