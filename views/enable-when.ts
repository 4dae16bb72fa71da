/**
 * Progressive enhancement for questionnaires (SPEC §8): follow-up questions whose enableWhen does
 * not hold are hidden while the person answers. Without JavaScript they all show with a hint, and
 * the module decides on the server either way (src/module/questionnaire.ts isEnabled). This
 * function runs in the browser: shared/assets.ts serves its source as /_sandbox/enable-when.js.
 */
export function enableWhenScript(): void {
  interface Condition { q: string; op: string; kind?: "boolean" | "number" | "string"; a: string | number | boolean }
  const valueOf = (form: HTMLFormElement, name: string): string => {
    for (const field of Array.from(form.querySelectorAll<HTMLInputElement>("[name]"))) {
      if (field.name !== name) continue;
      if (field.type === "radio") { if (field.checked) return field.value; continue; }
      if (field.closest("[data-enable-when][hidden]")) return "";
      return field.value;
    }
    return "";
  };
  const holds = (actual: string, c: Condition): boolean => {
    if (c.op === "exists") return (actual !== "") === c.a;
    if (actual === "") return false;
    const value = c.kind === "boolean" ? actual === "true" : c.kind === "number" ? Number(actual) : actual;
    switch (c.op) {
      case "=": return value === c.a;
      case "!=": return value !== c.a;
      case ">": return value > c.a;
      case "<": return value < c.a;
      case ">=": return value >= c.a;
      case "<=": return value <= c.a;
      default: return true;
    }
  };
  const update = (form: HTMLFormElement) => {
    const blocks = Array.from(form.querySelectorAll<HTMLElement>("[data-enable-when]"));
    // Twice: a follow-up of a follow-up depends on what the first pass hid.
    for (let round = 0; round < 2; round++) {
      for (const block of blocks) {
        const conditions = JSON.parse(block.dataset.enableWhen ?? "[]") as Condition[];
        const results = conditions.map((c) => holds(valueOf(form, c.q), c));
        block.hidden = !(block.dataset.enableBehavior === "any" ? results.some(Boolean) : results.every(Boolean));
      }
    }
  };
  const start = () => {
    for (const form of Array.from(document.querySelectorAll<HTMLFormElement>("form[data-questionnaire]"))) {
      form.setAttribute("data-live", "");
      update(form);
      form.addEventListener("input", () => update(form));
      form.addEventListener("change", () => update(form));
    }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
}
