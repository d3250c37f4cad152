// Suggestions from a search endpoint, offered in an input's own <datalist> as the user
// types: the browser's list stays keyboard-first and works on phones. A choice ends in
// "#<key>", the part the server reads back; typing after a choice does not search again.
// toOption(result) answers [value, label].
window.suggestInto = function (input, url, toOption) {
  const list = document.getElementById(input.getAttribute("list"));
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
          list.replaceChildren(...body.results.map(function (result) {
            const [value, label] = toOption(result);
            const option = document.createElement("option");
            option.value = value;
            if (label) option.label = label;
            return option;
          }));
        });
    }, 150);
  });
};
