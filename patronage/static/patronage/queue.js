/* The offline queue of home visits, shared by the visit page and the service worker
   (importScripts): each submission waits in IndexedDB, keyed by its idempotency key, until
   the server has answered it; the server records a key once, so sending again is safe. */
(function (scope) {
  "use strict";
  var DB = "patronage", STORE = "outbox";

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "id" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode), result;
        transaction.oncomplete = function () { db.close(); resolve(result); };
        transaction.onerror = function () { db.close(); reject(transaction.error); };
        var request = work(transaction.objectStore(STORE));
        if (request) request.onsuccess = function () { result = request.result; };
      });
    });
  }

  function add(item) { return run("readwrite", function (store) { return store.put(item); }); }
  function all() { return run("readonly", function (store) { return store.getAll(); }); }
  function remove(id) { return run("readwrite", function (store) { return store.delete(id); }); }

  /* Send every waiting submission, oldest first; stop at the first network failure (the
     rest wait for the next try). An answer, success or refusal, takes it off the queue.
     Resolves to the answers: [{id, status, body}]. */
  function flush() {
    return all().then(function (items) {
      var answers = [];
      items.sort(function (a, b) { return a.queuedAt - b.queuedAt; });
      return items.reduce(function (chain, item) {
        return chain.then(function (going) {
          if (!going) return false;
          return fetch(item.url, {
            method: "POST", credentials: "same-origin", body: item.body,
            headers: { "Content-Type": "application/x-www-form-urlencoded",
                       "X-Patronage-Queue": "1" }
          }).then(function (response) {
            return response.json().catch(function () { return {}; }).then(function (body) {
              if (response.status >= 500) return false;
              answers.push({ id: item.id, status: response.status, body: body });
              return remove(item.id).then(function () { return true; });
            });
          }, function () { return false; });
        });
      }, Promise.resolve(true)).then(function () { return answers; });
    });
  }

  scope.PatronageQueue = { add: add, all: all, remove: remove, flush: flush };
})(self);
