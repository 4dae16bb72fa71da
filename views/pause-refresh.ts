/**
 * The clinician portal's live task table refreshes every 10 seconds, except while a cancel form is
 * open (the swap would throw away the reason being typed). htmx's `[...]` trigger filters need
 * eval, which the CSP refuses (shared/security-headers.ts), so the pause is this listener: a
 * cancelled htmx:confirm skips one poll, and htmx schedules the next. Served as
 * /_sandbox/pause-refresh.js by shared/assets.ts.
 */
export function pauseRefreshScript(): void {
  document.addEventListener("htmx:confirm", (event) => {
    const elt = event.target;
    if (elt instanceof Element && elt.hasAttribute("data-pause-while-open") && elt.querySelector("details[open]")) event.preventDefault();
  });
}
