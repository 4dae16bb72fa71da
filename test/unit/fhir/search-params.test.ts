import { describe, expect, test } from "bun:test";
import { allowedTransition } from "../../../src/dva/fhir/rest.ts";
import { dateRange, parseSearch } from "../../../src/dva/fhir/search-params.ts";
import { paramsRead } from "../../../src/dva/fhir/search.ts";

const parse = (q: string, type = "Task") => parseSearch(type, new URLSearchParams(q));

describe("search parameter parsing (FHIR R4 search.html)", () => {
  test("comma is OR, repetition is AND, :not", () => {
    const q = parse("status:not=completed,cancelled&status:not=failed&status=requested");
    expect(q.tokens).toEqual([
      { param: "status", not: true, values: [{ system: null, code: "completed" }, { system: null, code: "cancelled" }] },
      { param: "status", not: true, values: [{ system: null, code: "failed" }] },
      { param: "status", not: false, values: [{ system: null, code: "requested" }] },
    ]);
  });

  test("token system|code, |code and code; references normalised", () => {
    const q = parse("_tag=http://x|y&identifier=|abc&based-on=http://fhir/fhir/ServiceRequest/p1&owner=Patient/1");
    expect(q.tokens.map((t) => t.values[0])).toEqual([
      { system: "http://x", code: "y" }, { system: "", code: "abc" }, { system: null, code: "ServiceRequest/p1" }, { system: null, code: "Patient/1" },
    ]);
  });

  test("_lastUpdated prefixes and precision", () => {
    const q = parse("_lastUpdated=gt2025-10-01T00:00:00Z&_lastUpdated=le2025-10");
    expect(q.lastUpdated.map((d) => d.prefix)).toEqual(["gt", "le"]);
    expect(dateRange("2025")).toEqual({ low: Date.UTC(2025, 0, 1), high: Date.UTC(2026, 0, 1) - 1 });
    expect(dateRange("2025-10-01")).toEqual({ low: Date.UTC(2025, 9, 1), high: Date.UTC(2025, 9, 2) - 1 });
    expect(dateRange("2025-10-01T10:00:00+02:00")!.low).toBe(Date.UTC(2025, 9, 1, 8));
    expect(dateRange("2025-10-01T10:00")).toBeNull(); // a time needs a zone
    expect(() => parse("_lastUpdated=gtnope")).toThrow(/_lastUpdated/);
  });

  test("result parameters", () => {
    const q = parse("_include=Task:based-on&_sort=-period&_count=900&_offset=10&_summary=count");
    expect(q).toMatchObject({ includes: ["Task:based-on"], sort: { key: "period", descending: true }, count: 500, offset: 10, summaryCount: true });
    expect(() => parse("_include=Task:nonsense")).toThrow(/_include/);
    expect(() => parse("_sort=status")).toThrow(/_sort/);
    expect(() => parse("_count=-1")).toThrow(/_count/);
    expect(() => parse("_summary=true")).toThrow(/_summary/);
  });

  test("patient parameters are kept apart; unknown parameters are listed", () => {
    const q = parse("patient=patient-tom&subject=Patient/x&foo=1&status:exact=x");
    expect(q.patientFilter).toEqual(["Patient/patient-tom", "Patient/x"]);
    expect(q.unknown).toEqual(["foo", "status:exact"]);
  });

  test("a modifier on a patient or result parameter is not understood: unknown, never silently applied", () => {
    const q = parse("patient:missing=true&_count:x=1&_include:iterate=Task:focus&_sort:x=period");
    expect(q.unknown).toEqual(["patient:missing", "_count:x", "_include:iterate", "_sort:x"]);
    expect(q.patientFilter).toEqual([]);
    expect(q.includes).toEqual([]);
    expect(q.count).toBe(50);
  });

  test("a bare id on a reference parameter with one target type names that type", () => {
    expect(parse("part-of=task-a").tokens[0]!.values).toEqual([{ system: null, code: "Task/task-a" }]);
    expect(parse("digital-activity=ad-1").tokens[0]!.values).toEqual([{ system: null, code: "ActivityDefinition/ad-1" }]);
    expect(parse("owner=role-1").tokens[0]!.values).toEqual([{ system: null, code: "role-1" }]);
  });

  test("name is a string parameter of Patient: starts with, :contains, :exact, normalized", () => {
    expect(parse("name=Müller,van%20Dijk&name:exact=Tom&name:contains=UIN", "Patient").strings).toEqual([
      { param: "name", mode: "start", values: ["muller", "van dijk"] },
      { param: "name", mode: "exact", values: ["tom"] },
      { param: "name", mode: "contains", values: ["uin"] },
    ]);
    expect(parse("name:missing=true", "Patient").unknown).toEqual(["name:missing"]);
    expect(parse("name=x", "Task").unknown).toEqual(["name"]);
  });

  test("other types: url and questionnaire", () => {
    expect(parse("url=https://x/y", "Questionnaire").tokens[0]).toMatchObject({ param: "url", values: [{ code: "https://x/y" }] });
    expect(parse("task=Task/t1", "QuestionnaireResponse").tokens[0]).toMatchObject({ param: "task", values: [{ code: "Task/t1" }] });
  });
});

describe("Task status transitions (SPEC §6)", () => {
  test.each([
    ["requested", "in-progress", true], ["ready", "in-progress", true], ["in-progress", "completed", true], ["in-progress", "failed", true],
    ["requested", "cancelled", true], ["in-progress", "cancelled", true], ["requested", "completed", false], ["completed", "in-progress", false],
    ["cancelled", "requested", false], ["failed", "completed", false], ["in-progress", "requested", false],
  ] as [string, string, boolean][])("%s → %s: %p", (from, to, ok) => {
    expect(allowedTransition(from, to)).toBe(ok);
  });
});

describe("the index parameters a patient's search reads of its hits (issue 16: only those rows are fetched)", () => {
  test("token and string conditions and what the _includes follow; never _id (the hit's own)", () => {
    expect(paramsRead(parse("_tag=http://x|y&status:not=completed&_include=Task:based-on&_include=Task:digital-activity")).sort())
      .toEqual(["_tag", "based-on", "digital-activity", "status"]);
    expect(paramsRead(parse("_id=t1&_include=Task:patient"))).toEqual(["patient"]);
    expect(paramsRead(parse("name=jan", "Patient"))).toEqual(["name"]);
    expect(paramsRead(parse("_count=5"))).toEqual([]);
  });
});
