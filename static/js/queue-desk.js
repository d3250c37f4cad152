// The desk works from the keyboard: N call next, R recall, X did not come, C complete,
// T focus the transfer choice. Keys are ignored while typing in a field.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select")) return;
  const target = document.querySelector(`[data-key="${event.key.toLowerCase()}"]`);
  if (!target) return;
  event.preventDefault();
  if (target.tagName === "SELECT") target.focus(); else target.click();
});
