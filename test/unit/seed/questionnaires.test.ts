import { test, expect, describe } from "bun:test";
import { join } from "node:path";
import type { Extension, Questionnaire, QuestionnaireItem, QuestionnaireItemAnswerOption } from "fhir/r4";

/**
 * Structural checks for the seeded FHIR R4 Questionnaires in seed/fhir/questionnaires/.
 * Every *.json file in that folder is picked up automatically.
 */

const DIR = join(import.meta.dir, "..", "..", "..", "seed", "fhir", "questionnaires");
const URL_BASE = "https://medmij-sandbox.example/fhir/Questionnaire/";
const SCORE_URL = "https://medmij-sandbox.example/fhir/StructureDefinition/score";
const ORDINAL_URL = "http://hl7.org/fhir/StructureDefinition/ordinalValue";
const MIN_URL = "http://hl7.org/fhir/StructureDefinition/minValue";
const MAX_URL = "http://hl7.org/fhir/StructureDefinition/maxValue";
const COPD_SYSTEM = "https://medmij-sandbox.example/fhir/CodeSystem/copd-intake";

const ITEM_TYPES = new Set([
  "group", "display", "boolean", "decimal", "integer", "date", "dateTime", "time", "string", "text",
  "url", "choice", "open-choice", "attachment", "reference", "quantity",
]);
const COPD_REQUIRED_TYPES = [
  "group", "display", "string", "text", "integer", "decimal", "boolean", "choice", "open-choice", "date",
];

interface Loaded {
  file: string;
  raw: string;
  q: Questionnaire;
}

const files = [...new Bun.Glob("*.json").scanSync({ cwd: DIR })].sort();
const loaded: Loaded[] = await Promise.all(
  files.map(async (file) => {
    const raw = await Bun.file(join(DIR, file)).text();
    return { file, raw, q: JSON.parse(raw) as Questionnaire };
  }),
);

/** All items in document (pre-)order, nested groups included. */
function flatten(items: QuestionnaireItem[] | undefined): QuestionnaireItem[] {
  const out: QuestionnaireItem[] = [];
  for (const item of items ?? []) {
    out.push(item, ...flatten(item.item));
  }
  return out;
}

function ordinal(option: QuestionnaireItemAnswerOption): number | undefined {
  return option.extension?.find((e) => e.url === ORDINAL_URL)?.valueDecimal;
}

/** An item counts towards the score iff its answer options carry ordinalValue. */
function isScored(item: QuestionnaireItem): boolean {
  return (item.answerOption ?? []).some((o) => ordinal(o) !== undefined);
}

interface Band {
  min: number;
  max: number;
  label: string;
}

function scoreExtension(q: Questionnaire): Extension | undefined {
  return q.extension?.find((e) => e.url === SCORE_URL);
}

function bands(score: Extension): Band[] {
  return (score.extension ?? [])
    .filter((e) => e.url === "band")
    .map((b) => {
      const part = (url: string) => b.extension?.find((e) => e.url === url);
      return {
        min: part("min")?.valueInteger as number,
        max: part("max")?.valueInteger as number,
        label: part("label")?.valueString as string,
      };
    });
}

test("the seed folder contains the expected questionnaires", () => {
  for (const id of ["gad-7", "phq-9", "mrc-dyspnoe", "copd-intake", "ggz-intake"]) {
    expect(files).toContain(`${id}.json`);
  }
});

describe.each(loaded.map((l) => [l.file, l] as const))("%s", (file, { raw, q }) => {
  const id = file.replace(/\.json$/, "");
  const items = flatten(q.item);
  const index = new Map(items.map((item, i) => [item.linkId, i]));

  test("is pretty-printed JSON with 2 spaces", () => {
    expect(raw).toBe(JSON.stringify(q, null, 2) + "\n");
  });

  test("has the required Questionnaire metadata", () => {
    expect(q.resourceType).toBe("Questionnaire");
    expect(q.id).toBe(id);
    expect(q.url).toBe(`${URL_BASE}${id}`);
    expect(q.url).toMatch(/^https:\/\/medmij-sandbox\.example\/fhir\/Questionnaire\/[a-z0-9-]+$/);
    expect(q.status).toBe("active");
    expect(q.language).toBe("nl-NL");
    expect(q.subjectType).toEqual(["Patient"]);
    for (const field of ["version", "publisher", "date", "title", "description"] as const) {
      expect(typeof q[field], field).toBe("string");
      expect((q[field] as string).length, field).toBeGreaterThan(0);
    }
    expect(q.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(items.length).toBeGreaterThan(0);
  });

  test("items have a valid type, text and readable linkId", () => {
    for (const item of items) {
      expect(ITEM_TYPES.has(item.type), `${item.linkId}: ${item.type}`).toBe(true);
      expect(item.linkId).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(item.text?.trim().length ?? 0, item.linkId).toBeGreaterThan(0);
      if (item.type === "group") expect(item.item?.length ?? 0, item.linkId).toBeGreaterThan(0);
      else expect(item.item, `${item.linkId}: only groups have children`).toBeUndefined();
    }
  });

  test("linkIds are unique (nested groups included)", () => {
    const linkIds = items.map((i) => i.linkId);
    expect(new Set(linkIds).size).toBe(linkIds.length);
  });

  test("choice and open-choice items have answerOptions with unique codings", () => {
    for (const item of items.filter((i) => i.type === "choice" || i.type === "open-choice")) {
      expect(item.answerOption?.length ?? 0, item.linkId).toBeGreaterThan(1);
      const keys = item.answerOption!.map((o) => {
        expect(o.valueCoding?.code, item.linkId).toBeString();
        expect(o.valueCoding?.system, item.linkId).toBeString();
        expect(o.valueCoding?.display, item.linkId).toBeString();
        return `${o.valueCoding!.system}|${o.valueCoding!.code}`;
      });
      expect(new Set(keys).size, item.linkId).toBe(keys.length);
    }
    for (const item of items.filter((i) => i.type !== "choice" && i.type !== "open-choice")) {
      expect(item.answerOption, item.linkId).toBeUndefined();
    }
  });

  test("enableWhen refers to an earlier item with a matching answer type", () => {
    for (const [pos, item] of items.entries()) {
      const conditions = item.enableWhen ?? [];
      if (conditions.length > 1) expect(item.enableBehavior, item.linkId).toBeOneOf(["all", "any"]);
      for (const cond of conditions) {
        const target = index.get(cond.question);
        expect(target, `${item.linkId} -> ${cond.question}`).toBeDefined();
        expect(target!, `${item.linkId} -> ${cond.question} must come first`).toBeLessThan(pos);
        const question = items[target!]!;
        expect(["group", "display"]).not.toContain(question.type);
        if (cond.operator === "exists") {
          expect(cond.answerBoolean, item.linkId).toBeBoolean();
        } else if (question.type === "boolean") {
          expect(cond.answerBoolean, item.linkId).toBeBoolean();
        } else if (question.type === "choice" || question.type === "open-choice") {
          const wanted = cond.answerCoding;
          expect(wanted, item.linkId).toBeDefined();
          const match = question.answerOption?.some(
            (o) => o.valueCoding?.system === wanted?.system && o.valueCoding?.code === wanted?.code,
          );
          expect(match, `${item.linkId}: ${wanted?.code} is not an option of ${question.linkId}`).toBe(true);
        }
      }
    }
  });

  test("minValue/maxValue extensions are consistent with the item type", () => {
    for (const item of items) {
      const min = item.extension?.find((e) => e.url === MIN_URL);
      const max = item.extension?.find((e) => e.url === MAX_URL);
      for (const bound of [min, max]) {
        if (!bound) continue;
        if (item.type === "integer") expect(bound.valueInteger, item.linkId).toBeNumber();
        else if (item.type === "decimal") expect(bound.valueDecimal, item.linkId).toBeNumber();
        else throw new Error(`${item.linkId}: min/maxValue on a ${item.type} item`);
      }
      if (min && max) {
        const lo = (min.valueInteger ?? min.valueDecimal)!;
        const hi = (max.valueInteger ?? max.valueDecimal)!;
        expect(lo, item.linkId).toBeLessThan(hi);
      }
    }
  });

  const score = scoreExtension(q);
  if (score) {
    test("scored items: required choice items with an ordinalValue on every option", () => {
      const scored = items.filter(isScored);
      expect(scored.length).toBeGreaterThan(0);
      for (const item of scored) {
        expect(item.type, item.linkId).toBe("choice");
        expect(item.required, item.linkId).toBe(true);
        expect(item.enableWhen, item.linkId).toBeUndefined();
        const values = item.answerOption!.map(ordinal);
        for (const v of values) expect(Number.isInteger(v), `${item.linkId}: ${v}`).toBe(true);
        expect(new Set(values).size, item.linkId).toBe(values.length);
      }
    });

    test("score bands cover 0..max possible sum without gaps or overlaps", () => {
      const method = score.extension?.find((e) => e.url === "method")?.valueCode;
      expect(method).toBe("sum");
      const scored = items.filter(isScored);
      const minSum = scored.reduce((s, i) => s + Math.min(...i.answerOption!.map((o) => ordinal(o)!)), 0);
      const maxSum = scored.reduce((s, i) => s + Math.max(...i.answerOption!.map((o) => ordinal(o)!)), 0);
      expect(minSum).toBe(0);

      const list = bands(score);
      expect(list.length).toBeGreaterThan(0);
      let expected = 0;
      for (const band of list) {
        expect(Number.isInteger(band.min) && Number.isInteger(band.max), JSON.stringify(band)).toBe(true);
        expect(band.label?.trim().length ?? 0).toBeGreaterThan(0);
        expect(band.min, `band "${band.label}" should start at ${expected}`).toBe(expected);
        expect(band.max).toBeGreaterThanOrEqual(band.min);
        expected = band.max + 1;
      }
      expect(expected - 1, "last band must end at the maximum possible sum").toBe(maxSum);
    });
  } else {
    test("unscored questionnaire has no ordinal values", () => {
      expect(items.filter(isScored).map((i) => i.linkId)).toEqual([]);
    });
  }
});

describe("instrument specifics", () => {
  const byId = new Map(loaded.map((l) => [l.q.id, l.q]));
  const scoredCount = (id: string) => flatten(byId.get(id)?.item).filter(isScored).length;
  const maxOf = (id: string) => bands(scoreExtension(byId.get(id)!)!).at(-1)?.max;

  test("GAD-7: 7 scored items, 0-21, LOINC panel code", () => {
    expect(scoredCount("gad-7")).toBe(7);
    expect(maxOf("gad-7")).toBe(21);
    expect(byId.get("gad-7")?.code?.[0]).toMatchObject({ system: "http://loinc.org", code: "69737-5" });
  });

  test("PHQ-9: 9 scored items, 0-27, LOINC panel code", () => {
    expect(scoredCount("phq-9")).toBe(9);
    expect(maxOf("phq-9")).toBe(27);
    expect(byId.get("phq-9")?.code?.[0]).toMatchObject({ system: "http://loinc.org", code: "44249-1" });
  });

  test("MRC: one scored item, one band per grade", () => {
    expect(scoredCount("mrc-dyspnoe")).toBe(1);
    const list = bands(scoreExtension(byId.get("mrc-dyspnoe")!)!);
    expect(list.every((b) => b.min === b.max)).toBe(true);
    expect(list.length).toBe(5);
  });

  test("copd-intake uses every required item type, groups, enableWhen and constraints", () => {
    const q = byId.get("copd-intake")!;
    const items = flatten(q.item);
    const types = new Set(items.map((i) => i.type));
    for (const type of COPD_REQUIRED_TYPES) expect(types.has(type as QuestionnaireItem["type"]), type).toBe(true);

    const groups = (q.item ?? []).filter((i) => i.type === "group");
    expect(groups.length).toBeGreaterThanOrEqual(3);
    expect(groups.length).toBeLessThanOrEqual(4);
    const questions = items.filter((i) => i.type !== "group" && i.type !== "display");
    expect(questions.length).toBeGreaterThanOrEqual(15);
    expect(questions.length).toBeLessThanOrEqual(20);

    expect(items.filter((i) => i.required).length).toBeGreaterThanOrEqual(3);
    expect(items.filter((i) => i.enableWhen?.length).length).toBeGreaterThanOrEqual(2);
    expect(items.some((i) => i.type === "string" && typeof i.maxLength === "number")).toBe(true);
    expect(
      items.some(
        (i) =>
          i.type === "integer" &&
          i.extension?.some((e) => e.url === MIN_URL) &&
          i.extension?.some((e) => e.url === MAX_URL),
      ),
    ).toBe(true);
    for (const item of items.filter((i) => i.type === "choice" || i.type === "open-choice")) {
      for (const o of item.answerOption!) expect(o.valueCoding?.system, item.linkId).toBe(COPD_SYSTEM);
    }
  });

  test("ggz-intake is short and uses string, text, boolean, choice, date and enableWhen", () => {
    const items = flatten(byId.get("ggz-intake")!.item);
    const types = new Set(items.map((i) => i.type));
    for (const type of ["string", "text", "boolean", "choice", "date"] as const) expect(types.has(type), type).toBe(true);
    const questions = items.filter((i) => i.type !== "group" && i.type !== "display");
    expect(questions.length).toBeGreaterThanOrEqual(6);
    expect(questions.length).toBeLessThanOrEqual(8);
    expect(items.filter((i) => i.enableWhen?.length).length).toBeGreaterThanOrEqual(1);
  });
});
