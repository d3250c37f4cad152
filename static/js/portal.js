// Behaviour every page may ask for with a data-* attribute, since the Content-Security-Policy
// allows no inline handlers (onchange="…"):
//   data-submit-on-change  a control whose form is sent as soon as its value changes;
//   data-print             a button that opens the browser's print dialog.
document.addEventListener("change", function (event) {
  const control = event.target.closest("[data-submit-on-change]");
  if (control && control.form) control.form.submit();
});
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});
