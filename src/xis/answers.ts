/**
 * A QuestionnaireResponse read back for the clinician (AM-FE-006): each question's text with the
 * answers given, in questionnaire order; without the Questionnaire, the response's own texts.
 */
import type { Resource } from "./dva-client.ts";

interface Item { linkId?: string; text?: string; type?: string; item?: Item[]; answer?: Value[] }
interface Value { valueCoding?: { code?: string; display?: string }; valueString?: string; valueBoolean?: boolean; valueInteger?: number;
  valueDecimal?: number; valueDate?: string; valueDateTime?: string; item?: Item[] }

function display(v: Value): string {
  if (v.valueCoding) return v.valueCoding.display ?? v.valueCoding.code ?? "";
  if (typeof v.valueBoolean === "boolean") return v.valueBoolean ? "Ja" : "Nee";
  for (const x of [v.valueString, v.valueInteger, v.valueDecimal, v.valueDate, v.valueDateTime]) if (x !== undefined) return String(x);
  return "";
}

/** Every answered item of a response by linkId (answers may nest items too). */
function answered(items: Item[] | undefined, into = new Map<string, Item>()): Map<string, Item> {
  for (const item of items ?? []) {
    if (item.linkId && item.answer?.length) into.set(item.linkId, item);
    answered(item.item, into);
    for (const a of item.answer ?? []) answered(a.item, into);
  }
  return into;
}

export function answersOf(questionnaire: Resource | null, response: Resource | null): { text: string; answers: string[] }[] {
  if (!response) return [];
  const given = answered(response.item as Item[] | undefined);
  if (!questionnaire) return [...given.values()].map((i) => ({ text: i.text ?? i.linkId ?? "", answers: (i.answer ?? []).map(display) }));
  const out: { text: string; answers: string[] }[] = [];
  const walk = (items: Item[] | undefined) => {
    for (const item of items ?? []) {
      if (item.type !== "group" && item.type !== "display" && item.linkId) {
        const a = given.get(item.linkId);
        if (a) out.push({ text: item.text ?? item.linkId, answers: (a.answer ?? []).map(display) });
      }
      walk(item.item);
    }
  };
  walk(questionnaire.item as Item[] | undefined);
  return out;
}
