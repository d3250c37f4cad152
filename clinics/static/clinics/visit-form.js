// Visit form, keyboard first: ICD-10 autocomplete (type, arrows, Enter), protocol pre-fill
// when the primary diagnosis has one, BMI shown as weight and height are typed,
// Ctrl+S saves and Ctrl+Enter closes and signs. Without JavaScript the form still works.
(function () {
  "use strict";
  document.querySelectorAll("form[data-icd10-url]").forEach(setUpForm);
  // Forms htmx puts in place (the clinical summary on the card and the visit) too.
  document.addEventListener("htmx:load", function (event) {
    event.detail.elt.querySelectorAll("form[data-icd10-url]").forEach(setUpForm);
  });

function setUpForm(form) {
  if (form.dataset.ready) return;
  form.dataset.ready = "yes";
  const icd10Url = form.dataset.icd10Url;
  const protocolsUrl = form.dataset.protocolsUrl;
  const language = document.documentElement.lang || "uz";

  function getJson(url) {
    return fetch(url, {credentials: "same-origin",
                       headers: {"Accept": "application/json", "Accept-Language": language}})
      .then(function (response) { return response.ok ? response.json() : {results: []}; });
  }

  function debounce(run, wait) {
    let timer = null;
    return function () {
      const args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { run.apply(null, args); }, wait);
    };
  }

  function lastTerm(input) {
    if (input.dataset.icd10 !== "secondary") return input.value.trim();
    const parts = input.value.split(",");
    return parts[parts.length - 1].trim();
  }

  function setUpAutocomplete(input) {
    const list = document.createElement("ul");
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.id = input.id + "-suggestions";
    list.hidden = true;
    input.after(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    const title = document.createElement("small");
    title.className = "code-title";
    title.dataset.testid = "title-" + input.name;
    list.after(title);
    let active = -1;
    let items = [];

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      active = -1;
    }

    function highlight(index) {
      active = index;
      Array.from(list.children).forEach(function (li, i) {
        li.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) input.setAttribute("aria-activedescendant", list.children[index].id);
    }

    function pick(index) {
      const entry = items[index];
      if (!entry) return;
      if (input.dataset.icd10 === "secondary") {
        const parts = input.value.split(",").map(function (p) { return p.trim(); });
        parts[parts.length - 1] = entry.code;
        input.value = parts.filter(Boolean).join(", ") + ", ";
      } else {
        input.value = entry.code;
        title.textContent = entry.title;
        if (protocolsUrl) loadProtocols(entry.code);
      }
      close();
    }

    const search = debounce(function () {
      const term = lastTerm(input);
      if (term.length < 2) { close(); return; }
      getJson(icd10Url + "?limit=8&search=" + encodeURIComponent(term)).then(function (body) {
        if (term !== lastTerm(input)) return;  // typed on meanwhile
        // Left the field before the answer came: a list opened now would cover the next one.
        if (document.activeElement !== input) return;
        items = body.results;
        list.innerHTML = "";
        items.forEach(function (entry, i) {
          const li = document.createElement("li");
          li.id = list.id + "-" + i;
          li.setAttribute("role", "option");
          li.dataset.code = entry.code;
          const code = document.createElement("strong");
          code.textContent = entry.code;
          li.append(code, " " + entry.title);
          li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(i); });
          list.append(li);
        });
        list.hidden = items.length === 0;
        input.setAttribute("aria-expanded", String(!list.hidden));
        highlight(items.length ? 0 : -1);
      });
    }, 120);

    if (input.dataset.icd10 === "primary" && input.value.trim()) {
      // A form shown again (after a refusal, or a saved visit): name the chosen code.
      getJson(icd10Url + "?limit=1&search=" + encodeURIComponent(input.value.trim()))
        .then(function (body) {
          if (body.results.length && body.results[0].code === input.value.trim().toUpperCase()) {
            title.textContent = body.results[0].title;
          }
        });
    }
    input.addEventListener("input", search);
    input.addEventListener("blur", close);
    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(Math.min(active + 1, items.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter" || event.key === "Tab") {
        if (active >= 0) { event.preventDefault(); pick(active); }
      } else if (event.key === "Escape") {
        close();
      }
    });
  }

  // A protocol fills only what is still empty: it never overwrites what was typed.
  function loadProtocols(code) {
    getJson(protocolsUrl + "?code=" + encodeURIComponent(code)).then(function (body) {
      const box = form.querySelector("[data-protocol]");
      box.innerHTML = "";
      body.results.forEach(function (protocol) {
        Object.keys(protocol.sections).forEach(function (name) {
          const field = form.elements[name];
          if (field && !field.value.trim()) field.value = protocol.sections[name];
        });
        box.append(protocolCard(protocol));
      });
    });
  }

  function protocolCard(protocol) {
    const card = document.createElement("div");
    card.className = "card protocol-card";
    card.dataset.testid = "protocol";
    const heading = document.createElement("h3");
    heading.textContent = box_label("protocol") + ": " + protocol.title;
    card.append(heading);
    if (protocol.lab_tests.length) {
      const tests = document.createElement("p");
      const label = document.createElement("strong");
      label.textContent = box_label("labs") + ": ";
      tests.append(label);
      protocol.lab_tests.forEach(function (test) {
        const chip = document.createElement("span");
        chip.className = "chip";
        chip.title = test.code;
        chip.textContent = test.name;
        tests.append(chip);
      });
      card.append(tests);
    }
    if (protocol.medicines.length) {
      const medicines = document.createElement("ul");
      protocol.medicines.forEach(function (medicine) {
        const li = document.createElement("li");
        li.textContent = medicine.inn + " — " + medicine.note;
        medicines.append(li);
      });
      const label = document.createElement("p");
      const strong = document.createElement("strong");
      strong.textContent = box_label("medicines") + ":";
      label.append(strong);
      card.append(label, medicines);
    }
    return card;
  }

  function box_label(name) {
    return form.querySelector("[data-label-" + name + "]").dataset["label" +
      name.charAt(0).toUpperCase() + name.slice(1)];
  }

  function showBmi() {
    const weight = parseFloat((form.elements.weight.value || "").replace(",", "."));
    const height = parseFloat((form.elements.height.value || "").replace(",", "."));
    const output = form.querySelector("[data-bmi]");
    output.textContent = weight > 0 && height > 0
      ? (weight / Math.pow(height / 100, 2)).toFixed(1) : "—";
  }

  form.querySelectorAll("[data-icd10]").forEach(setUpAutocomplete);
  if (!form.classList.contains("visit-form")) return;
  form.elements.weight.addEventListener("input", showBmi);
  form.elements.height.addEventListener("input", showBmi);
  showBmi();
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey)) return;
    const button = event.key === "Enter" ? form.querySelector("button[name=close]")
      : event.key === "s" ? form.querySelector("button[name=save]") : null;
    if (button) { event.preventDefault(); button.click(); }
  });
  keepDrafts(form);
}

// What is typed is kept by the server as a draft a few seconds after typing stops and when
// the page is left (even by closing the browser), and leaving with changes not saved to
// the visit asks first. A restored draft counts as unsaved until the visit is saved.
function keepDrafts(form) {
  const url = form.dataset.draftUrl;
  if (!url) return;
  const status = form.querySelector("[data-draft-status]");
  const snapshot = function () { return new URLSearchParams(new FormData(form)).toString(); };
  const pristine = form.hasAttribute("data-draft-restored") ? null : snapshot();
  let kept = pristine;
  let submitting = false;
  let timer = null;

  function unsaved() { return pristine === null || snapshot() !== pristine; }

  function keep(leaving) {
    clearTimeout(timer);
    const now = snapshot();
    if (now === kept || !unsaved()) return;
    const body = new FormData(form);
    if (leaving && navigator.sendBeacon) {
      if (navigator.sendBeacon(url, body)) kept = now;
      return;
    }
    fetch(url, {method: "POST", body: body, credentials: "same-origin", keepalive: leaving})
      .then(function (response) { return response.ok ? response.json() : Promise.reject(); })
      .then(function (answer) {
        kept = now;
        status.textContent = status.dataset.labelSaved + " " + answer.saved_at;
      })
      .catch(function () { status.textContent = status.dataset.labelFailed; });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { keep(false); }, 3000);
  });
  form.addEventListener("submit", function () { submitting = true; clearTimeout(timer); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && !submitting) keep(true);
  });
  window.addEventListener("pagehide", function () { if (!submitting) keep(true); });
  window.addEventListener("beforeunload", function (event) {
    if (submitting || !unsaved()) return;
    keep(true);
    event.preventDefault();
    event.returnValue = form.dataset.leaveWarning;
  });
}
})();
