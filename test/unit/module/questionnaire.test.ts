import { describe, expect, test } from "bun:test";
import { enabledItems, flatten, fromResponseItems, score, toResponseItems, validate, type Questionnaire } from "../../../src/module/questionnaire.ts";
import copd from "../../../seed/fhir/questionnaires/copd-intake.json";
import gad7 from "../../../seed/fhir/questionnaires/gad-7.json";
import mrc from "../../../seed/fhir/questionnaires/mrc-dyspnoe.json";

const intake = copd as unknown as Questionnaire;
const gad = gad7 as unknown as Questionnaire;

describe("questionnaire logic (module)", () => {
  test("GAD-7: the sum of the ordinal values and its band", () => {
    const scored = flatten(gad.item).filter((i) => i.answerOption?.[0]?.extension?.length);
    const all = Object.fromEntries(scored.map((i) => [i.linkId, i.answerOption![2]!.valueCoding!.code!]));
    expect(score(gad, all)).toEqual({ total: 14, band: expect.stringMatching(/Matige/) });
    const none = Object.fromEntries(scored.map((i) => [i.linkId, i.answerOption![0]!.valueCoding!.code!]));
    expect(score(gad, none)).toEqual({ total: 0, band: expect.stringMatching(/Minimale/) });
    expect(score(intake, {})).toBeNull();
    expect(score(mrc as unknown as Questionnaire, { "mrc-graad": "graad-3" })?.total).toBe(3);
  });

  test("required items and Dutch messages; a complete GAD-7 validates", () => {
    const errors = validate(gad, {});
    expect(Object.values(errors)).toContain("Deze vraag is verplicht.");
    const scored = flatten(gad.item).filter((i) => i.required);
    const answers = Object.fromEntries(scored.map((i) => [i.linkId, i.answerOption![1]!.valueCoding!.code!]));
    expect(validate(gad, answers)).toEqual({});
    expect(validate(gad, { ...answers, [scored[0]!.linkId]: "nonsense" })[scored[0]!.linkId]).toBe("Kies een van de antwoorden.");
  });

  test("enableWhen: follow-up questions count only when their condition holds", () => {
    const conditional = flatten(intake.item).filter((i) => i.enableWhen?.length);
    expect(conditional.length).toBeGreaterThanOrEqual(2);
    const smokingFollowUp = conditional.find((i) => i.enableWhen!.some((c) => c.answerBoolean === true))!;
    const question = smokingFollowUp.enableWhen![0]!.question;
    expect(enabledItems(intake.item, { [question]: "false" }).map((i) => i.linkId)).not.toContain(smokingFollowUp.linkId);
    expect(enabledItems(intake.item, { [question]: "true" }).map((i) => i.linkId)).toContain(smokingFollowUp.linkId);
  });

  test("numbers, ranges and dates are checked", () => {
    const integer = flatten(intake.item).find((i) => i.type === "integer" && i.extension?.some((e) => e.url.endsWith("maxValue")))!;
    const date = flatten(intake.item).find((i) => i.type === "date")!;
    const base = Object.fromEntries(flatten(intake.item).filter((i) => i.enableWhen?.length).map((i) => [i.enableWhen![0]!.question, "true"]));
    expect(validate(intake, { ...base, [integer.linkId]: "12,5" })[integer.linkId]).toBe("Vul een heel getal in, zonder komma.");
    expect(validate(intake, { ...base, [integer.linkId]: "99999" })[integer.linkId]).toMatch(/hoogstens/);
    const unlock = Object.fromEntries((date.enableWhen ?? []).map((c) => [c.question, c.answerCoding?.code ?? String(c.answerBoolean ?? "x")]));
    expect(validate(intake, { ...base, ...unlock, [date.linkId]: "31-12-2020" })[date.linkId]).toMatch(/geldige datum/);
  });

  test("answers → QuestionnaireResponse items (groups kept, empty left out) → answers again", () => {
    const scored = flatten(gad.item).filter((i) => i.required);
    const answers = Object.fromEntries(scored.slice(0, 3).map((i) => [i.linkId, i.answerOption![3]!.valueCoding!.code!]));
    const items = toResponseItems(gad.item, answers);
    expect(items).toHaveLength(3);
    expect(items[0]!.answer![0]).toHaveProperty("valueCoding");
    expect(fromResponseItems(items)).toEqual(answers);
    const group = flatten(intake.item).find((i) => i.type === "group")!;
    const firstString = group.item!.find((i) => i.type === "string" && !i.enableWhen)!;
    const nested = toResponseItems(intake.item, { [firstString.linkId]: "Timmerman" });
    expect(nested).toEqual([{ linkId: group.linkId, text: group.text, item: [{ linkId: firstString.linkId, text: firstString.text, answer: [{ valueString: "Timmerman" }] }] }]);
  });
});

describe("step-by-step pages", async () => {
  const { stepsOf, stepOf, visibleInStep } = await import("../../../src/module/questionnaire.ts");
  test("long instruments: one top-level group per step, the intro with the first; short ones one page", () => {
    const steps = stepsOf(intake);
    expect(steps.length).toBe(intake.item!.filter((i) => i.type === "group").length);
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(stepsOf(gad)).toHaveLength(1);
    const last = flatten(steps.at(-1)).find((i) => i.type !== "group")!;
    expect(stepOf(steps, last.linkId)).toBe(steps.length - 1);
  });

  test("an item whose condition lies on another page shows only when it holds", () => {
    const all = flatten(intake.item);
    const steps = stepsOf(intake);
    for (const step of steps) {
      const here = new Set(flatten(step).map((i) => i.linkId));
      const external = flatten(step).filter((i) => i.enableWhen?.length && i.enableWhen.every((c) => !here.has(c.question)));
      for (const item of external) {
        expect(flatten(visibleInStep(step, {}, all)).map((i) => i.linkId)).not.toContain(item.linkId);
      }
    }
  });
});
