/**
 * Issue 12 §3: multiple choice with the person's own words (`repeats` + open-choice, the COPD
 * intake's "Bij welke activiteiten …? U kunt meer antwoorden kiezen of zelf iets invullen") and
 * "Volgende" checking its own step.
 */
import { describe, expect, test } from "bun:test";
import { fromResponseItems, isEnabled, flatten, score, splitOpenChoice, stepsOf, toResponseItems, validate, validateStep, valuesOf,
  type QItem, type Questionnaire } from "../../../src/module/questionnaire.ts";
import copd from "../../../seed/fhir/questionnaires/copd-intake.json";
import gad7 from "../../../seed/fhir/questionnaires/gad-7.json";

const intake = copd as unknown as Questionnaire;
const SYSTEM = "https://medmij-sandbox.example/fhir/CodeSystem/copd-intake";
const item = (linkId: string) => flatten(intake.item).find((i) => i.linkId === linkId)!;

/** A small instrument: a repeating open-choice, a single open-choice, a repeating choice and a follow-up on the first. */
const q: Questionnaire = { url: "https://example.org/q", item: [
  { linkId: "act", type: "open-choice", repeats: true, required: true, text: "Activiteiten", answerOption: [
    { valueCoding: { system: "s", code: "lopen", display: "Wandelen" } }, { valueCoding: { system: "s", code: "fietsen", display: "Fietsen" } }] },
  { linkId: "kleur", type: "open-choice", text: "Kleur", answerOption: [{ valueCoding: { system: "s", code: "wit", display: "Wit" } }] },
  { linkId: "dag", type: "choice", repeats: true, text: "Dagen", answerOption: [{ valueString: "ma" }, { valueString: "di" }] },
  { linkId: "fiets-hoe-ver", type: "integer", text: "Hoe ver?", enableWhen: [{ question: "act", operator: "=", answerCoding: { system: "s", code: "fietsen" } }] },
  { linkId: "niet-lopen", type: "string", text: "Waarom niet?", enableWhen: [{ question: "act", operator: "!=", answerCoding: { system: "s", code: "lopen" } }] },
] };

describe("repeats + open-choice: answers ⇄ QuestionnaireResponse", () => {
  test("the COPD intake has the item the demo uses", () => {
    expect(item("intake-beperkingen")).toMatchObject({ type: "open-choice", repeats: true });
  });

  test("a valueCoding per checked option and a valueString for 'Anders, namelijk', and back", () => {
    const answers = { act: ["lopen", "fietsen", "tuinieren"], kleur: "wit", dag: ["ma", "di"] };
    const items = toResponseItems(q.item, answers);
    expect(items.find((i) => i.linkId === "act")!.answer).toEqual([
      { valueCoding: { system: "s", code: "lopen", display: "Wandelen" } }, { valueCoding: { system: "s", code: "fietsen", display: "Fietsen" } },
      { valueString: "tuinieren" }]);
    expect(items.find((i) => i.linkId === "dag")!.answer).toEqual([{ valueString: "ma" }, { valueString: "di" }]);
    expect(items.find((i) => i.linkId === "kleur")!.answer).toEqual([{ valueCoding: { system: "s", code: "wit", display: "Wit" } }]);
    expect(fromResponseItems(items)).toEqual(answers);
  });

  test("the intake: checkboxes plus own words survive a round trip through the response's groups", () => {
    const answers = { "intake-beperkingen": ["act-wandelen", "act-huishouden", "Tuinieren"] };
    const items = toResponseItems(intake.item, answers);
    const group = items.find((i) => i.linkId === "intake-dagelijks-leven")!;
    expect(group.item![0]!.answer).toEqual([{ valueCoding: expect.objectContaining({ system: SYSTEM, code: "act-wandelen" }) },
      { valueCoding: expect.objectContaining({ code: "act-huishouden" }) }, { valueString: "Tuinieren" }]);
    expect(fromResponseItems(items)).toEqual(answers);
  });

  test("the own words are told apart from the options; empty values do not count", () => {
    expect(splitOpenChoice(q.item![0]!, ["fietsen", "zwemmen"])).toEqual({ codes: ["fietsen"], other: ["zwemmen"] });
    expect(valuesOf({ act: ["lopen", " ", ""] }, "act")).toEqual(["lopen"]);
    expect(toResponseItems(q.item, { act: ["", "  "] })).toEqual([]);
  });

  test("an item that does not repeat keeps one answer in a draft, and validation asks for one", () => {
    const items = toResponseItems(q.item, { act: "lopen", kleur: ["wit", "geel"] });
    expect(items.find((i) => i.linkId === "kleur")!.answer).toEqual([{ valueCoding: expect.objectContaining({ code: "wit" }) }]);
    expect(validate(q, { act: "lopen", kleur: ["wit", "geel"] }).kleur).toBe("Kies één antwoord of vul zelf iets in, niet allebei.");
  });

  test("validation: required means at least one, own words are allowed, unknown codes of a plain choice are not", () => {
    expect(validate(q, {}).act).toBe("Deze vraag is verplicht.");
    expect(validate(q, { act: [] }).act).toBe("Deze vraag is verplicht.");
    expect(validate(q, { act: ["iets anders"] })).toEqual({});
    expect(validate(q, { act: "lopen", dag: ["ma", "zo"] }).dag).toBe("Kies een van de antwoorden.");
    expect(validate(q, { act: "lopen", dag: ["ma", "di"] })).toEqual({});
  });

  test("enableWhen over several answers: '=' when any answer equals, '!=' when none does", () => {
    const all = flatten(q.item);
    const follow = q.item![3]!;
    const without = q.item![4]!;
    expect(isEnabled(follow, { act: ["lopen", "fietsen"] }, all)).toBe(true);
    expect(isEnabled(follow, { act: ["lopen"] }, all)).toBe(false);
    expect(isEnabled(without, { act: ["fietsen", "zwemmen"] }, all)).toBe(true);
    expect(isEnabled(without, { act: ["fietsen", "lopen"] }, all)).toBe(false);
    // A follow-up that no longer holds is neither validated nor stored.
    expect(toResponseItems(q.item, { act: ["lopen"], "fiets-hoe-ver": "12" }).map((i) => i.linkId)).toEqual(["act"]);
  });

  test("a score sums every chosen option", () => {
    const scored: QItem = { linkId: "x", type: "choice", repeats: true, answerOption: [1, 2, 4].map((n) => ({ valueCoding: { code: `c${n}` },
      extension: [{ url: "http://hl7.org/fhir/StructureDefinition/ordinalValue", valueDecimal: n }] })) };
    const sum = { ...(gad7 as unknown as Questionnaire), item: [scored] };
    expect(score(sum, { x: ["c1", "c4"] })?.total).toBe(5);
  });
});

describe("Volgende checks its own step", () => {
  const steps = stepsOf(intake);

  test("only the required questions of that step", () => {
    expect(steps.length).toBe(4);
    const first = validateStep(intake, {}, 0);
    expect(first).toEqual({ "intake-lengte": "Deze vraag is verplicht.", "intake-gewicht": "Deze vraag is verplicht." });
    expect(validateStep(intake, { "intake-lengte": "180", "intake-gewicht": "80" }, 0)).toEqual({});
    // Step 2 (Roken): the follow-ups count only when "Rookt u" is yes.
    expect(Object.keys(validateStep(intake, {}, 1))).toEqual(["intake-rookt"]);
    expect(Object.keys(validateStep(intake, { "intake-rookt": "true" }, 1)).sort()).toEqual(["intake-rookjaren", "intake-rookstatus"]);
    expect(validateStep(intake, { "intake-rookt": "false" }, 1)).toEqual({});
  });

  test("with the same Dutch messages as Afronden", () => {
    expect(validateStep(intake, { "intake-lengte": "1,80", "intake-gewicht": "80" }, 0)["intake-lengte"]).toBe("Vul een heel getal in, zonder komma.");
    expect(validateStep(intake, {}, 99)).toEqual({});
  });
});
