// Progressive enhancement of the form: the page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("summarize-form");
  if (!form) return;
  const text = document.getElementById("text");
  const counter = document.getElementById("counter");
  const result = document.getElementById("result");
  const button = document.getElementById("submit");
  const limit = Number(text.getAttribute("maxlength"));

  const count = () => {
    counter.textContent = `${text.value.length} / ${limit} characters`;
    counter.classList.toggle("over", text.value.length > limit);
  };
  text.addEventListener("input", count);
  count();

  const showCopyButtons = () => result.querySelectorAll("button.copy").forEach((b) => { b.hidden = false; });
  showCopyButtons();
  result.addEventListener("click", async (event) => {
    const button = event.target.closest("button.copy");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    await navigator.clipboard.writeText(source.textContent.trim());
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
    const label = button.textContent;
    button.textContent = "Working…";
    try {
      const response = await fetch(`${form.action}?partial=1`, { method: "POST", body: new FormData(form) });
      const type = response.headers.get("Content-Type") || "";
      if (type.startsWith("text/html")) {
        result.innerHTML = await response.text();
      } else {
        const body = await response.json();
        result.replaceChildren(errorBox(body.error ? body.error.message : `Error ${response.status}`));
      }
      showCopyButtons();
    } catch (err) {
      result.replaceChildren(errorBox(`The service could not be reached (${err.message}). Try again.`));
    } finally {
      button.removeAttribute("aria-busy");
      button.disabled = false;
      button.textContent = label;
    }
  });

  function errorBox(message) {
    const box = document.createElement("div");
    box.className = "error";
    box.setAttribute("role", "alert");
    box.textContent = message;
    return box;
  }
});
