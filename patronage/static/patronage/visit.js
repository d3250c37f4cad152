/* The home-visit form on the nurse's phone: what is typed is kept as a draft on the phone
   (localStorage) until the server has the visit; a submission waits in the offline queue
   (queue.js, IndexedDB) and is sent by the service worker when the connection is there.
   The form's idempotency key travels with the draft and the submission, so the server
   records the visit once however often it is sent. */
/* global PatronageQueue */
(function () {
  "use strict";
  var form = document.querySelector("form[data-patronage-visit]");
  if (!form) return;
  var draftKey = "patronage-draft-" + form.dataset.patronageVisit;
  var status = document.querySelector("[data-patronage-status]");
  var keyField = form.querySelector("[name=idempotency_key]");

  function say(key) { status.textContent = status.dataset[key]; status.hidden = false; }

  function fields() {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.name && element.name !== "csrfmiddlewaretoken";
    });
  }

  function saveDraft() {
    var draft = {};
    fields().forEach(function (element) {
      if (element.type === "checkbox") {
        draft[element.name + "=" + element.value] = element.checked;
      } else {
        draft[element.name] = element.value;
      }
    });
    localStorage.setItem(draftKey, JSON.stringify(draft));
  }

  function restoreDraft() {
    var draft = JSON.parse(localStorage.getItem(draftKey) || "null");
    if (!draft) return;
    fields().forEach(function (element) {
      if (element.type === "checkbox") {
        element.checked = !!draft[element.name + "=" + element.value];
      } else if (element.name in draft) {
        element.value = draft[element.name];
      }
    });
    say("draft");
  }

  function done(answer) {
    if (answer.id !== keyField.value) return;
    if (answer.status === 200 || answer.status === 201) {
      localStorage.removeItem(draftKey);
      say("sent");
      window.location.assign(form.dataset.patronageDone);
    } else {
      say("refused");
      var errors = (answer.body && answer.body.errors) || {};
      Object.keys(errors).forEach(function (name) {
        var field = form.querySelector("[data-field='" + name + "']") || form;
        var message = document.createElement("p");
        message.className = "errorlist";
        message.textContent = [].concat(errors[name]).join(" ");
        field.appendChild(message);
      });
    }
  }

  var worker = "serviceWorker" in navigator ? navigator.serviceWorker : null;

  function flush() {
    if (!navigator.onLine) { say("offline"); return; }
    say("sending");
    if (worker) {
      worker.ready.then(function (registration) {
        registration.active.postMessage("patronage-flush");
      });
    } else {
      PatronageQueue.flush().then(function (answers) { answers.forEach(done); });
    }
  }

  if (worker) {
    worker.register(form.dataset.patronageWorker, { scope: form.dataset.patronageScope });
    worker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "patronage-sent") done(event.data.answer);
    });
  }

  restoreDraft();
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    saveDraft();
    var item = { id: keyField.value, url: form.action, queuedAt: Date.now(),
                 body: new URLSearchParams(new FormData(form)).toString() };
    PatronageQueue.add(item).then(function () {
      if (worker) {
        worker.ready.then(function (registration) {
          if (registration.sync) registration.sync.register("patronage-outbox").catch(function () {});
        });
      }
      flush();
    });
  });
  window.addEventListener("online", flush);
  // Something left in the queue by an earlier visit to the page goes out now.
  PatronageQueue.all().then(function (items) { if (items.length) flush(); });
})();
