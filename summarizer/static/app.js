// Progressive enhancement of the form: the page works without this file.
"use strict";
document.documentElement.classList.replace("no-js", "js");

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("summarize-form");
  if (!form) return;
  const text = document.getElementById("text");
  const counter = document.getElementById("counter");
  const note = document.getElementById("text-note");
  const fileInput = document.getElementById("file");
  const fileChosen = document.getElementById("file-chosen");
  const result = document.getElementById("result");
  const button = document.getElementById("submit");
  const progress = document.getElementById("progress");
  const elapsed = document.getElementById("elapsed");
  const cancel = document.getElementById("cancel");
  const swap = document.getElementById("swap");
  const wholeText = document.getElementById("translate");
  const limit = Number(text.getAttribute("maxlength"));
  const maxUpload = Number(form.dataset.maxUpload);
  const STORED = "summarizer.text";
  const number = (n) => n.toLocaleString("en");
  // The server counts a text after turning CRLF into LF; a textarea's value and maxlength count LF already.
  const normalise = (s) => s.replace(/\r\n?/g, "\n");

  const say = (message, warn = false) => {
    note.textContent = message;
    note.classList.toggle("warn", warn);
  };

  // -- the counter and the text kept across a reload (in this tab only: not kept on a shared computer) -------
  const count = () => {
    counter.textContent = `${number(text.value.length)} / ${number(limit)} characters`;
    counter.classList.toggle("over", text.value.length > limit);
  };
  const store = (value) => {
    try {
      if (value) sessionStorage.setItem(STORED, value);
      else sessionStorage.removeItem(STORED);
    } catch (err) { /* storage refused (private mode, quota): the text is just not kept */ }
  };
  if (!text.value) {
    try { text.value = sessionStorage.getItem(STORED) || ""; } catch (err) { /* no storage */ }
  }
  let storeTimer;
  text.addEventListener("input", () => {
    count();
    clearTimeout(storeTimer);
    storeTimer = setTimeout(() => store(text.value), 300);
  });
  count();

  // A paste over the limit: insert what fits and say how much was left out (the browser would cut it silently).
  text.addEventListener("paste", (event) => {
    const pasted = normalise(event.clipboardData ? event.clipboardData.getData("text/plain") : "");
    const room = limit - (text.value.length - (text.selectionEnd - text.selectionStart));
    if (pasted.length <= room) { say(""); return; }
    event.preventDefault();
    text.setRangeText(pasted.slice(0, Math.max(room, 0)), text.selectionStart, text.selectionEnd, "end");
    text.dispatchEvent(new Event("input"));
    say(`The pasted text was cut at the limit of ${number(limit)} characters: ` +
        `${number(pasted.length - Math.max(room, 0))} characters were left out.`, true);
  });

  // -- an uploaded file: its text goes into the box, which is what is sent ----------------------------------
  let beforeFile = null;
  const showFile = (name, size) => {
    fileChosen.replaceChildren(`Loaded ${name} (${number(Math.max(1, Math.round(size / 1024)))} KB) into the box. `);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.textContent = `Remove ${name}`;
    remove.addEventListener("click", () => {
      text.value = beforeFile || "";
      text.dispatchEvent(new Event("input"));
      fileChosen.hidden = true;
      say(`Removed the text of ${name}.`);
      text.focus();
    });
    fileChosen.append(remove);
    fileChosen.hidden = false;
  };
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files[0];
    fileInput.value = ""; // the box holds the file's text; the file itself is never sent as well
    if (!file) return;
    if (!/\.txt$/i.test(file.name)) { say(`${file.name} is not a .txt file: only UTF-8 text files can be read.`, true); return; }
    if (maxUpload && file.size > maxUpload) {
      say(`${file.name} is too large (${number(Math.round(file.size / 1024))} KB): a file can be at most ` +
          `${number(Math.floor(maxUpload / 1024))} KB.`, true);
      return;
    }
    let content;
    try {
      content = normalise(new TextDecoder("utf-8", { fatal: true }).decode(await file.arrayBuffer()));
    } catch (err) {
      say(`${file.name} is not UTF-8 text.`, true);
      return;
    }
    content = content.replace(/^\uFEFF/, "");
    if (content.length > limit) {
      say(`${file.name} has ${number(content.length)} characters; the limit is ${number(limit)}.`, true);
      return;
    }
    beforeFile = text.value;
    text.value = content;
    text.dispatchEvent(new Event("input"));
    say("");
    showFile(file.name, file.size);
  });

  // -- the direction: shown as radio buttons, swapped with one button ---------------------------------------
  const direction = () => form.querySelector("input[name=direction]:checked");
  const directionChanged = () => { wholeText.disabled = direction().value !== "en-ar"; };
  form.querySelectorAll("input[name=direction]").forEach((radio) => radio.addEventListener("change", directionChanged));
  directionChanged();
  // Without the English -> Arabic model its choice is disabled, and there is nothing to swap to.
  const enAr = form.querySelector("input[name=direction][value=en-ar]");
  swap.hidden = enAr.disabled;
  swap.addEventListener("click", () => {
    // "Detect" translates into English, so its other way round is English -> Arabic.
    const next = form.querySelector(`input[name=direction][value=${direction().value === "en-ar" ? "ar-en" : "en-ar"}]`);
    next.checked = true;
    directionChanged();
    say(`Direction: ${next.parentElement.textContent.trim()}.`);
  });

  // -- copy buttons: the clipboard where the browser offers it, else the text selected for Ctrl+C ------------
  const showCopyButtons = () => result.querySelectorAll("button.copy").forEach((b) => { b.hidden = false; });
  showCopyButtons();
  const flash = (btn, label) => {
    const old = btn.dataset.label || btn.textContent;
    btn.dataset.label = old;
    btn.textContent = label;
    setTimeout(() => { btn.textContent = old; }, 1500);
  };
  result.addEventListener("click", async (event) => {
    const btn = event.target.closest("button.copy");
    if (!btn) return;
    const value = document.getElementById(btn.dataset.copy).textContent.trim();
    if (window.isSecureContext && navigator.clipboard) {
      try {
        await navigator.clipboard.writeText(value);
        flash(btn, "Copied");
        return;
      } catch (err) { /* refused: fall back to selecting the text */ }
    }
    // Plain HTTP at another address has no clipboard API: show the text selected, ready for Ctrl+C.
    let box = btn.nextElementSibling;
    if (!box || !box.classList.contains("copybox")) {
      box = document.createElement("textarea");
      box.className = "copybox";
      box.readOnly = true;
      box.setAttribute("aria-label", `${btn.dataset.label || btn.textContent}: the text, selected`);
      btn.after(box);
    }
    box.value = value;
    box.focus();
    box.select();
    let copied = false;
    try { copied = document.execCommand("copy"); } catch (err) { copied = false; }
    flash(btn, copied ? "Copied" : "Selected: press Ctrl+C to copy");
  });

  // -- sending: one request at a time, elapsed time and cancel, the old result dimmed ----------------------
  let controller = null;
  const proxyMessage = (status, statusText) => {
    if (status === 502) return "The service is not answering right now (502 Bad Gateway). Try again in a minute.";
    if (status === 503) return "The service is unavailable or busy (503). Try again in a minute.";
    if (status === 504) return "The service took too long to answer (504 Gateway Timeout). Try a shorter text, or try again later.";
    return `The server answered ${status}${statusText ? ` ${statusText}` : ""}. Try again.`;
  };
  const errorBox = (message) => {
    const box = document.createElement("div");
    box.className = "error";
    box.setAttribute("role", "alert");
    box.tabIndex = -1;
    box.textContent = message;
    return box;
  };
  const show = (content) => {
    result.replaceChildren(content);
    showCopyButtons();
    const heading = result.querySelector("#result-heading");
    const target = heading || result.querySelector(".error") || result;
    target.scrollIntoView({ block: "start" });
    if (heading) heading.focus({ preventScroll: true }); // an error (role=alert) is announced without focus
  };

  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit(button);
    }
  });
  cancel.addEventListener("click", () => { if (controller) controller.abort(); });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (controller) return; // already sending
    controller = new AbortController();
    const started = Date.now();
    const label = button.textContent;
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
    button.textContent = "Working…";
    result.classList.add("stale");
    result.setAttribute("aria-busy", "true");
    elapsed.textContent = "Working…";
    progress.hidden = false;
    say("Working…"); // announced once; the seconds counting up beside it are not a live region
    const tick = setInterval(() => {
      elapsed.textContent = `Working… ${Math.round((Date.now() - started) / 1000)} s`;
    }, 1000);
    try {
      const url = new URL(form.action);
      url.hash = "";
      url.searchParams.set("partial", "1");
      const body = new FormData(form);
      body.delete("file");
      const response = await fetch(url, { method: "POST", body, signal: controller.signal });
      const type = response.headers.get("Content-Type") || "";
      const raw = await response.text();
      let content = null;
      if (type.startsWith("text/html")) {
        const fragment = document.createElement("template");
        fragment.innerHTML = raw;
        if (fragment.content.querySelector("[data-fragment]")) content = fragment.content; // ours, not a proxy's page
      } else if (type.includes("json")) {
        try {
          const parsed = JSON.parse(raw);
          if (parsed.error && parsed.error.message) content = errorBox(parsed.error.message);
        } catch (err) { /* not our JSON */ }
      }
      say("");
      show(content || errorBox(proxyMessage(response.status, response.statusText)));
    } catch (err) {
      if (err.name === "AbortError") {
        say("Cancelled: the previous result is still shown.");
      } else {
        say("");
        show(errorBox(`The service could not be reached (${err.message}). Check the connection and try again.`));
      }
    } finally {
      clearInterval(tick);
      controller = null;
      progress.hidden = true;
      result.classList.remove("stale");
      result.removeAttribute("aria-busy");
      button.removeAttribute("aria-busy");
      button.disabled = false;
      button.textContent = label;
    }
  });
});
