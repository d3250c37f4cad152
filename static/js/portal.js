// Behaviour every page may ask for with a data-* attribute, since the Content-Security-Policy
// allows no inline handlers (onchange="…"):
//   data-submit-on-change  a control whose form is sent as soon as its value changes;
//   data-print             a button that opens the browser's print dialog;
//   data-confirm="…"       a submit button (or its form) whose action ends something: the
//                          question is asked first, whether clicked or pressed by key;
//   data-narrows="id"      a select (a region) whose choice narrows the select `id` (its
//                          districts) to the options marked data-region with its value.
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

function narrow(chooser) {
  const target = document.getElementById(chooser.dataset.narrows);
  if (!target) return;
  for (const option of target.options) {
    if (!option.dataset.region) continue;  // the empty choice stays
    const fits = !chooser.value || option.dataset.region === chooser.value;
    option.hidden = option.disabled = !fits;
    if (!fits && option.selected) target.value = "";
  }
}
document.addEventListener("change", function (event) {
  const chooser = event.target.closest("[data-narrows]");
  if (chooser) narrow(chooser);
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-narrows]").forEach(narrow);
});
