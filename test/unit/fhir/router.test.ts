import { describe, expect, test } from "bun:test";
import { createRouter } from "../../../src/dva/fhir/router.ts";

const router = createRouter<string>([
  { method: "GET", path: "/", handler: "home" },
  { method: "OPTIONS", path: "/fhir/*", handler: "preflight" },
  { method: "GET", path: "/fhir/metadata", handler: "metadata" },
  { method: "GET", path: "/fhir/:type", handler: "search" },
  { method: "POST", path: "/fhir/:type", handler: "create" },
  { method: "GET", path: "/fhir/:type/:id", handler: "read" },
  { method: "PATCH", path: "/fhir/:type/:id", handler: "patch" },
  { method: "GET", path: "/fhir/:type/:id/_history/:vid", handler: "vread" },
]);

describe("FHIR route table", () => {
  test("literal segments win in table order, parameters capture one decoded segment", () => {
    expect(router("GET", "/")).toEqual({ kind: "found", handler: "home", params: {} });
    expect(router("GET", "/fhir/metadata")).toMatchObject({ handler: "metadata" });
    expect(router("GET", "/fhir/Task")).toEqual({ kind: "found", handler: "search", params: { type: "Task" } });
    expect(router("GET", "/fhir/Task/a%20b")).toEqual({ kind: "found", handler: "read", params: { type: "Task", id: "a b" } });
    expect(router("GET", "/fhir/Task/t1/_history/2")).toEqual({ kind: "found", handler: "vread", params: { type: "Task", id: "t1", vid: "2" } });
    expect(router("OPTIONS", "/fhir/Task/t1")).toMatchObject({ handler: "preflight" });
  });

  test("HEAD uses the GET route", () => {
    expect(router("HEAD", "/fhir/Task/t1")).toMatchObject({ kind: "found", handler: "read" });
  });

  test("a known path with another method lists the allowed ones; an unknown path is none", () => {
    expect(router("DELETE", "/fhir/Task/t1")).toEqual({ kind: "method", allow: ["GET", "PATCH", "OPTIONS"] });
    expect(router("PUT", "/")).toEqual({ kind: "method", allow: ["GET"] });
    expect(router("GET", "/fhir/Task/t1/extra")).toEqual({ kind: "none" });
    expect(router("GET", "/nope")).toEqual({ kind: "none" });
  });

  test("empty segments never fill a parameter; bad percent-encoding is malformed", () => {
    expect(router("GET", "/fhir/Task/")).toEqual({ kind: "none" });
    expect(router("GET", "/fhir//t1")).toEqual({ kind: "none" });
    expect(router("GET", "/fhir/Task/%E0%A4%A")).toEqual({ kind: "malformed" });
  });
});
