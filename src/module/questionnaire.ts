/**
 * FHIR R4 Questionnaire logic for the module, framework-free: which items are enabled
 * (enableWhen/enableBehavior), Dutch validation messages, form answers ⇄ QuestionnaireResponse
 * items, and the instrument's score from the sandbox score extension (GAD-7, PHQ-9, MRC).
 * Form answers are flat, per linkId, as an HTML form posts them: one value, or several for an item
 * that `repeats` (checkboxes, and the "Anders, namelijk" text of an open-choice).
 * @see https://hl7.org/fhir/R4/questionnaire.html
 */

export interface Coding { system?: string; code?: string; display?: string }
export interface AnswerOption { valueCoding?: Coding; valueString?: string; valueInteger?: number; extension?: { url: string; valueDecimal?: number; valueInteger?: number }[] }
export interface EnableWhen { question: string; operator: "exists" | "=" | "!=" | ">" | "<" | ">=" | "<="; answerBoolean?: boolean; answerCoding?: Coding;
  answerInteger?: number; answerDecimal?: number; answerString?: string; answerDate?: string }
export interface QItem {
  linkId: string; text?: string; type: string; required?: boolean; repeats?: boolean; item?: QItem[]; answerOption?: AnswerOption[];
  enableWhen?: EnableWhen[]; enableBehavior?: "all" | "any"; maxLength?: number; extension?: { url: string; valueInteger?: number; valueDecimal?: number }[];
}
export interface Questionnaire { url?: string; title?: string; item?: QItem[]; extension?: ScoreExtension[] }
interface ScoreExtension { url: string; extension?: { url: string; valueCode?: string; extension?: { url: string; valueInteger?: number; valueString?: string }[] }[] }
/** A posted or stored answer: one value, or a list for an item that repeats. */
export type Answer = string | string[];
export type Answers = Record<string, Answer>;
export interface QRItem { linkId: string; text?: string; answer?: Record<string, unknown>[]; item?: QRItem[] }

export const SCORE_EXTENSION = "https://medmij-sandbox.example/fhir/StructureDefinition/score";
const ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue";
const MIN = "http://hl7.org/fhir/StructureDefinition/minValue";
const MAX = "http://hl7.org/fhir/StructureDefinition/maxValue";

const ANSWERABLE = new Set(["string", "text", "integer", "decimal", "boolean", "choice", "open-choice", "date"]);

export function flatten(items: QItem[] = []): QItem[] {
  return items.flatMap((i) => [i, ...flatten(i.item)]);
}

export function optionCode(o: AnswerOption): string {
  return o.valueCoding?.code ?? o.valueString ?? String(o.valueInteger ?? "");
}

/** The non-empty values given for an item, trimmed (none, one, or several for an item that repeats). */
export function valuesOf(answers: Answers, linkId: string): string[] {
  const raw = answers[linkId];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((v) => String(v).trim()).filter((v) => v !== "");
}

/** The first value given for an item, or "" (single-answer items: text fields, radios). */
export const valueOf = (answers: Answers, linkId: string): string => valuesOf(answers, linkId)[0] ?? "";

/** Split an open-choice item's values into its options' codes and the person's own text ("Anders, namelijk"). */
export function splitOpenChoice(item: QItem, values: string[]): { codes: string[]; other: string[] } {
  const codes = new Set((item.answerOption ?? []).map(optionCode));
  return { codes: values.filter((v) => codes.has(v)), other: values.filter((v) => !codes.has(v)) };
}

function compare(actual: string, c: EnableWhen): boolean {
  let expected: string | number | boolean;
  let value: string | number | boolean = actual;
  if (c.answerBoolean !== undefined) { expected = c.answerBoolean; value = actual === "true"; }
  else if (c.answerCoding) expected = c.answerCoding.code ?? "";
  else if (c.answerInteger !== undefined || c.answerDecimal !== undefined) { expected = (c.answerInteger ?? c.answerDecimal)!; value = Number(actual); }
  else expected = c.answerString ?? c.answerDate ?? "";
  switch (c.operator) {
    case "exists": return true;
    case "=": return value === expected;
    case "!=": return value !== expected;
    case ">": return value > expected;
    case "<": return value < expected;
    case ">=": return value >= expected;
    case "<=": return value <= expected;
  }
}

/**
 * One enableWhen condition against all answers of its question: `exists` asks whether there is
 * one; `!=` holds when no answer equals; the other operators when any answer does
 * (questionnaire-definitions.html#Questionnaire.item.enableWhen.operator).
 */
function holds(values: string[], c: EnableWhen): boolean {
  if (c.operator === "exists") return (values.length > 0) === (c.answerBoolean ?? true);
  if (values.length === 0) return false;
  return c.operator === "!=" ? values.every((v) => compare(v, c)) : values.some((v) => compare(v, c));
}

/** enableWhen with enableBehavior (default "all" when there is one condition). An item under a disabled group is disabled. */
export function isEnabled(item: QItem, answers: Answers, all: QItem[]): boolean {
  if (!item.enableWhen?.length) return true;
  const results = item.enableWhen.map((c) => {
    // An enableWhen on a question that does not exist is false (questionnaire.html#enableWhen).
    return all.some((i) => i.linkId === c.question) && holds(valuesOf(answers, c.question), c);
  });
  return item.enableBehavior === "any" ? results.some(Boolean) : results.every(Boolean);
}

/** Items that count now: enabled themselves and all their ancestors. */
export function enabledItems(items: QItem[] = [], answers: Answers, all = flatten(items)): QItem[] {
  return items.filter((i) => isEnabled(i, answers, all)).flatMap((i) => [i, ...enabledItems(i.item, answers, all)]);
}

/** The Dutch message for one given value of an item, or null when it is fine. */
function problemWith(item: QItem, v: string): string | null {
  const min = item.extension?.find((e) => e.url === MIN);
  const max = item.extension?.find((e) => e.url === MAX);
  const lo = min?.valueInteger ?? min?.valueDecimal;
  const hi = max?.valueInteger ?? max?.valueDecimal;
  switch (item.type) {
    case "integer":
      if (!/^-?\d+$/.test(v)) return "Vul een heel getal in, zonder komma.";
      break;
    case "decimal":
      if (!/^-?\d+([.,]\d+)?$/.test(v)) return "Vul een getal in, bijvoorbeeld 72,5.";
      break;
    case "date":
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v))) return "Vul een geldige datum in (dag, maand en jaar).";
      break;
    case "boolean":
      if (v !== "true" && v !== "false") return "Kies ja of nee.";
      break;
    case "choice":
      if (!(item.answerOption ?? []).some((o) => optionCode(o) === v)) return "Kies een van de antwoorden.";
      break;
    case "string": case "text": case "open-choice":
      if (item.maxLength && v.length > item.maxLength) return `Gebruik hoogstens ${item.maxLength} tekens.`;
      break;
  }
  if (item.type === "integer" || item.type === "decimal") {
    const n = Number(v.replace(",", "."));
    if (lo !== undefined && n < lo) return `Het getal moet minstens ${lo} zijn.`;
    if (hi !== undefined && n > hi) return `Het getal mag hoogstens ${hi} zijn.`;
  }
  return null;
}

/**
 * Dutch messages per linkId for required, numbers, ranges, dates, lengths, unknown options, and
 * more than one answer to an item that does not repeat. Only enabled items count.
 */
export function validate(q: Questionnaire, answers: Answers): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const item of enabledItems(q.item, answers)) {
    if (!ANSWERABLE.has(item.type)) continue;
    const values = valuesOf(answers, item.linkId);
    if (values.length === 0) { if (item.required) errors[item.linkId] = "Deze vraag is verplicht."; continue; }
    if (values.length > 1 && !item.repeats) {
      errors[item.linkId] = item.type === "open-choice" ? "Kies één antwoord of vul zelf iets in, niet allebei."
        : item.type === "choice" || item.type === "boolean" ? "Kies één antwoord." : "Geef één antwoord.";
      continue;
    }
    const problem = values.map((v) => problemWith(item, v)).find((p) => p !== null);
    if (problem) errors[item.linkId] = problem;
  }
  return errors;
}

/** "Volgende" (step-by-step instruments): the messages of the items on one step only (0-based). */
export function validateStep(q: Questionnaire, answers: Answers, step: number): Record<string, string> {
  const here = new Set(flatten(stepsOf(q)[step] ?? []).map((i) => i.linkId));
  return Object.fromEntries(Object.entries(validate(q, answers)).filter(([linkId]) => here.has(linkId)));
}

function answerOf(item: QItem, v: string): Record<string, unknown> | null {
  switch (item.type) {
    case "boolean": return v === "true" || v === "false" ? { valueBoolean: v === "true" } : null;
    case "integer": return /^-?\d+$/.test(v) ? { valueInteger: Number(v) } : null;
    case "decimal": return /^-?\d+([.,]\d+)?$/.test(v) ? { valueDecimal: Number(v.replace(",", ".")) } : null;
    case "date": return { valueDate: v };
    case "choice": case "open-choice": {
      const option = (item.answerOption ?? []).find((o) => optionCode(o) === v);
      if (option?.valueCoding) return { valueCoding: option.valueCoding };
      if (option?.valueInteger !== undefined) return { valueInteger: option.valueInteger };
      // open-choice: the person's own text (choice: an unknown code, kept as text in a draft).
      return { valueString: v };
    }
    default: return { valueString: v };
  }
}

/**
 * Form answers → QuestionnaireResponse.item, keeping the group structure; empty and disabled
 * items are left out. An item that repeats gets one answer per value (a valueCoding per checked
 * option, a valueString for "Anders, namelijk"); one that does not keeps its first value.
 */
export function toResponseItems(items: QItem[] = [], answers: Answers, all = flatten(items)): QRItem[] {
  return items.flatMap((item): QRItem[] => {
    if (!isEnabled(item, answers, all)) return [];
    if (item.type === "group") {
      const children = toResponseItems(item.item, answers, all);
      return children.length ? [{ linkId: item.linkId, ...(item.text ? { text: item.text } : {}), item: children }] : [];
    }
    if (!ANSWERABLE.has(item.type)) return [];
    const values = valuesOf(answers, item.linkId);
    const answer = (item.repeats ? values : values.slice(0, 1)).map((v) => answerOf(item, v)).filter((a) => a !== null);
    return answer.length ? [{ linkId: item.linkId, ...(item.text ? { text: item.text } : {}), answer }] : [];
  });
}

/** QuestionnaireResponse.item → form answers (to restore a paused questionnaire, AM-FE-033): one value, or a list where there are several. */
export function fromResponseItems(items: QRItem[] = []): Answers {
  const out: Answers = {};
  for (const i of items) {
    const values = (i.answer ?? []).flatMap((a) => {
      const coding = a.valueCoding as Coding | undefined;
      const value = coding?.code ?? a.valueBoolean ?? a.valueInteger ?? a.valueDecimal ?? a.valueDate ?? a.valueString;
      return value === undefined ? [] : [String(value)];
    });
    if (values.length) out[i.linkId] = values.length === 1 ? values[0]! : values;
    Object.assign(out, fromResponseItems(i.item));
  }
  return out;
}

/** The instrument's score (sum of ordinal values of every chosen option) and its band, when the Questionnaire defines one. */
export function score(q: Questionnaire, answers: Answers): { total: number; band: string | null } | null {
  const ext = q.extension?.find((e) => e.url === SCORE_EXTENSION);
  if (!ext || ext.extension?.find((e) => e.url === "method")?.valueCode !== "sum") return null;
  let total = 0;
  for (const item of flatten(q.item)) {
    for (const value of valuesOf(answers, item.linkId)) {
      const option = (item.answerOption ?? []).find((o) => optionCode(o) === value);
      const ordinal = option?.extension?.find((e) => e.url === ORDINAL);
      if (ordinal) total += Number(ordinal.valueDecimal ?? ordinal.valueInteger ?? 0);
    }
  }
  const band = (ext.extension ?? []).filter((e) => e.url === "band").find((b) => {
    const get = (u: string) => b.extension?.find((x) => x.url === u);
    return total >= (get("min")?.valueInteger ?? -Infinity) && total <= (get("max")?.valueInteger ?? Infinity);
  })?.extension?.find((x) => x.url === "label")?.valueString ?? null;
  return { total, band };
}

/**
 * Step-by-step pages for long instruments: with three or more top-level groups, one group per step
 * (leading display items go with the first); shorter questionnaires are one page.
 */
export function stepsOf(q: Questionnaire): QItem[][] {
  const top = q.item ?? [];
  if (top.filter((i) => i.type === "group").length < 3) return [top];
  const steps: QItem[][] = [];
  let lead: QItem[] = [];
  for (const item of top) {
    if (item.type !== "group") { (steps.at(-1) ?? lead).push(item); continue; }
    steps.push([...lead, item]);
    lead = [];
  }
  return steps;
}

/** The step (0-based) that holds a linkId. */
export function stepOf(steps: QItem[][], linkId: string): number {
  const index = steps.findIndex((s) => flatten(s).some((i) => i.linkId === linkId));
  return index < 0 ? 0 : index;
}

/**
 * The items of a step to render: an item whose condition depends on another step is shown only
 * when that condition holds (the other step's answers are saved); conditions within the step are
 * shown with a hint, since they can change before the page is sent.
 */
export function visibleInStep(step: QItem[], answers: Answers, all: QItem[]): QItem[] {
  const here = new Set(flatten(step).map((i) => i.linkId));
  const keep = (items: QItem[]): QItem[] => items.flatMap((i) => {
    const external = (i.enableWhen ?? []).length > 0 && i.enableWhen!.every((c) => !here.has(c.question));
    if (external && !isEnabled(i, answers, all)) return [];
    return [i.item ? { ...i, item: keep(i.item) } : i];
  });
  return keep(step);
}
