// Whose card a MED-ID is, shown under the field as soon as its ten digits are typed, so the
// registrar sees the name before issuing a ticket or booking. Markup asks for it (the
// Content-Security-Policy allows no inline script):
//   <input data-patient-lookup="/api/v1/patients/MEDID/" data-patient-missing="<text>">
// The card API checks who asks and writes the audit event, as for any read of a card.
document.querySelectorAll("input[data-patient-lookup]").forEach(function (input) {
  const shown = document.createElement("output");
  shown.setAttribute("aria-live", "polite");
  shown.dataset.testid = "patient-name";
  shown.className = "patient-name";
  input.insertAdjacentElement("afterend", shown);
  let asked = "";
  function look() {
    const digits = input.value.replace(/\D/g, "");
    if (digits.length !== 10) { shown.textContent = ""; asked = ""; return; }
    if (digits === asked) return;
    asked = digits;
    fetch(input.dataset.patientLookup.replace("MEDID", digits),
          {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (card) {
        if (asked !== digits) return;  // typed on meanwhile
        shown.classList.toggle("missing", !card);
        shown.textContent = card
          ? [card.last_name, card.first_name, card.middle_name].filter(Boolean).join(" ")
          : input.dataset.patientMissing;
      });
  }
  input.addEventListener("input", look);
  look();
});
