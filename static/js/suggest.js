// Suggestions from a search endpoint, offered in an input's own <datalist> as the user
// types: the browser's list stays keyboard-first and works on phones. A choice ends in
// "#<key>", the part the server reads back; typing after a choice does not search again.
// A page asks for it in markup (the Content-Security-Policy allows no inline script):
//   <datalist id="…" data-suggest-url="<search endpoint>" data-suggest-format="<kind>">
// and every input with list="…" searches there; SUGGESTION_FORMATS turns one result of
// that kind into [value, label].
const SUGGESTION_FORMATS = {
  // The drug registry (prescription writing).
  drug: function (d) {
    return [d.inn + " " + d.strength + ", " + d.dosage_form + " · " + d.atc_code + " #" + d.id,
            d.trade_names.join(", ")];
  },
  // A drug allergen on the card: its international name only.
  inn: function (d) { return [d.inn, d.trade_names.join(", ")]; },
  // Specialists to refer to: offered first are those this doctor referred to lately (the
  // list's server-rendered options); typing searches the country, the doctor's region first.
  specialist: function (specialist) { return [specialist.choice, specialist.region]; },
};

function suggestInto(input, url, toOption) {
  const list = document.getElementById(input.getAttribute("list"));
  // Options the server wrote with data-static (groups of medicines) stay offered.
  const fixed = Array.from(list.querySelectorAll("option[data-static]"));
  let timer;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    const query = input.value.trim();
    if (query.length < 2 || query.includes("#")) return;
    timer = setTimeout(function () {
      const separator = url.includes("?") ? "&" : "?";
      fetch(url + separator + "search=" + encodeURIComponent(query), {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : {results: []}; })
        .then(function (body) {
          list.replaceChildren(...fixed, ...body.results.map(function (result) {
            const [value, label] = toOption(result);
            const option = document.createElement("option");
            option.value = value;
            if (label) option.label = label;
            return option;
          }));
        });
    }, 150);
  });
}

function wireSuggestions(root) {
  root.querySelectorAll("datalist[data-suggest-url]").forEach(function (list) {
    const toOption = SUGGESTION_FORMATS[list.dataset.suggestFormat];
    document.querySelectorAll(`input[list="${list.id}"]`).forEach(function (input) {
      if (input.dataset.suggesting) return;
      input.dataset.suggesting = "yes";
      suggestInto(input, list.dataset.suggestUrl, toOption);
    });
  });
}

document.addEventListener("DOMContentLoaded", function () { wireSuggestions(document); });
// Sections htmx puts in place (the card's clinical summary) bring their own lists.
document.addEventListener("htmx:load", function (event) { wireSuggestions(event.detail.elt); });
