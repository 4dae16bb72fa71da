/**
 * FHIRPath Patch (FHIR R4 fhirpatch.html) for the simple paths modules and portals use, translated
 * to JSON Patch so that one code path applies and checks every patch. Supported: `add`, `replace`,
 * `delete` on dotted element paths with optional `[n]` indexes (`Task.status`, `Task.output[0]`);
 * `insert` and `move` and FHIRPath functions are refused with a clear 400.
 */
import type { Operation } from "fast-json-patch";
import { badRequest, notSupported } from "../../shared/operation-outcome.ts";
import type { Resource } from "./search-index.ts";

type Part = { name?: string; part?: Part[]; [key: string]: unknown };

/** Elements that are lists (0..*) in the resources the sandbox serves; `add` appends to them. */
const REPEATING = new Set(["output", "input", "note", "basedOn", "partOf", "identifier", "extension", "modifierExtension", "item", "answer",
  "contained", "tag", "profile", "coding", "performerType", "relevantHistory", "reasonReference", "telecom", "name", "address"]);

const isPart = (p: unknown): p is Part => typeof p === "object" && p !== null && !Array.isArray(p);

/** value[x] of a parameter part, or an object built from its parts (complex/backbone values). */
function valueOf(part: Part): unknown {
  const key = Object.keys(part).find((k) => k.startsWith("value"));
  if (key) return part[key];
  if (Array.isArray(part.part)) {
    if (!part.part.every(isPart)) throw badRequest("elke part moet een object met een name zijn");
    return Object.fromEntries(part.part.map((p) => [String(p.name), valueOf(p)]));
  }
  return undefined;
}

/** "Task.output[0].type" → "/output/0/type" for a resource of this type. */
function pointer(path: string, type: string): string {
  if (!/^[A-Z][A-Za-z]*(\.[a-z][A-Za-z0-9]*(\[\d+\])?)*$/.test(path)) throw notSupported(`FHIRPath ${path} wordt niet ondersteund (alleen eenvoudige elementpaden)`);
  const [head, ...rest] = path.split(".");
  if (head !== type) throw badRequest(`het pad ${path} begint niet met ${type}`);
  return rest.map((segment) => segment.replace(/\[(\d+)\]$/, "/$1")).map((s) => `/${s}`).join("");
}

export function isFhirPathPatch(body: unknown): body is Resource {
  return typeof body === "object" && body !== null && (body as Resource).resourceType === "Parameters";
}

export function fhirPathPatchToJsonPatch(parameters: Resource, current: Resource): Operation[] {
  const ops = Array.isArray(parameters.parameter) ? (parameters.parameter as Part[]) : [];
  if (ops.length === 0) throw badRequest("de Parameters bevatten geen operation");
  return ops.map((op) => {
    if (!isPart(op) || op.name !== "operation" || !Array.isArray(op.part) || !op.part.every(isPart)) {
      throw badRequest("elke parameter moet een operation met parts zijn");
    }
    const part = (name: string) => op.part!.find((p) => p.name === name);
    const kind = valueOf(part("type") ?? {});
    const path = valueOf(part("path") ?? {});
    if (typeof path !== "string") throw badRequest("operation.path ontbreekt");
    const target = pointer(path, current.resourceType);
    // fhirpatch.html: the path names an element; the resource itself is not deleted or replaced by a patch.
    if (target === "" && kind !== "add") throw badRequest(`${String(kind)} op ${path} zou de hele resource vervangen of verwijderen; noem een element`, path);
    switch (kind) {
      case "replace": return { op: "replace", path: target, value: valueOf(part("value") ?? {}) };
      case "delete": return { op: "remove", path: target };
      case "add": {
        const name = valueOf(part("name") ?? {});
        if (typeof name !== "string" || !/^[a-z][A-Za-z0-9]*$/.test(name)) throw badRequest("operation.name ontbreekt of is ongeldig");
        const container = target.split("/").filter(Boolean).reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], current);
        const existing = (container as Record<string, unknown> | undefined)?.[name];
        const value = valueOf(part("value") ?? {});
        if (Array.isArray(existing)) return { op: "add", path: `${target}/${name}/-`, value };
        return { op: "add", path: `${target}/${name}`, value: REPEATING.has(name) ? [value] : value };
      }
      default: throw notSupported(`FHIRPath Patch-operatie ${String(kind)} wordt niet ondersteund (wel: add, replace, delete)`);
    }
  });
}
