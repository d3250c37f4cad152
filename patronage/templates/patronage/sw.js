{% load static %}/* The patronage service worker: sends the queued home visits in the background, when
   the page asks (the connection came back) or the browser's background sync fires. */
/* global PatronageQueue */
importScripts("{% static 'patronage/queue.js' %}");

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function flushAndTell() {
  return PatronageQueue.flush().then(function (answers) {
    return self.clients.matchAll({ includeUncontrolled: true }).then(function (clients) {
      clients.forEach(function (client) {
        answers.forEach(function (answer) {
          client.postMessage({ type: "patronage-sent", answer: answer });
        });
      });
    });
  });
}

self.addEventListener("message", function (event) {
  if (event.data === "patronage-flush") event.waitUntil(flushAndTell());
});
self.addEventListener("sync", function (event) {
  if (event.tag === "patronage-outbox") event.waitUntil(flushAndTell());
});
