// Waiting-room board: when a ticket is called, a chime and, where the browser has a voice
// for the board's language, the call spoken ("number A-017, room 12"). Browsers play sound
// only after a gesture, so the board shows a button to turn sound on once (a kiosk's
// browser can be started with autoplay allowed instead). Calls already on the board when
// it opens are not announced.
(function () {
  "use strict";
  const live = document.getElementById("board-live");
  const button = document.querySelector("[data-sound]");
  if (!live) return;
  const announced = new Set();
  let audio = null;

  function calls() { return Array.from(live.querySelectorAll("[data-call]")); }
  calls().forEach(function (row) { announced.add(row.dataset.call); });

  function turnOn() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (Context) audio = new Context();
    if (button) button.hidden = true;
  }
  if (button) button.addEventListener("click", turnOn);

  function chime() {
    if (!audio) return;
    // Two soft tones, as public-address systems do before a call.
    [[660, 0], [880, 0.35]].forEach(function (tone) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      const start = audio.currentTime + tone[1];
      oscillator.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.3, start + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.6);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.65);
    });
  }

  function voice() {
    if (!("speechSynthesis" in window)) return null;
    const language = (document.documentElement.lang || "uz").toLowerCase();
    const wanted = language.split("-")[0];
    return window.speechSynthesis.getVoices().find(function (candidate) {
      return candidate.lang.toLowerCase().split(/[-_]/)[0] === wanted;
    }) || null;
  }

  function speak(text) {
    const chosen = voice();
    if (!audio || !chosen || !text) return;  // no voice for this language: the chime alone
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.voice = chosen;
    utterance.lang = chosen.lang;
    window.speechSynthesis.speak(utterance);
  }

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target !== live) return;
    // Oldest first, so two calls in one refresh are spoken in the order they were made.
    calls().reverse().forEach(function (row) {
      if (announced.has(row.dataset.call)) return;
      announced.add(row.dataset.call);
      live.dispatchEvent(new CustomEvent("board:call", {detail: row.dataset.say}));
      chime();
      setTimeout(function () { speak(row.dataset.say); }, 900);
    });
  });
})();
