/**
 * FHIR REST interactions as framework-free handlers (STYLE habit 2: medplum's router shape):
 * each takes the request context and returns a FhirResult or throws an OperationOutcomeError.
 * @see https://hl7.org/fhir/R4/http.html
 */
import { applyPatch, type Operation } from "fast-json-patch";
import { badRequest, forbidden, notFound, notSupported, preconditionFailed, unprocessable, type Issue } from "../../shared/operation-outcome.ts";
import { answersLaunch, canRead, mayRefer, isShared, mayReadStored, organisationsOfResource, patientOf, requireScope, scopeAllows, writable, type Access, type OrgRule, type OwnershipScope } from "./access.ts";
import { fhirPathPatchToJsonPatch, isFhirPathPatch } from "./fhirpath-patch.ts";
import { sha256 } from "../../shared/crypto.ts";
import { yieldToOthers } from "../../shared/yield.ts";
import { OPEN_STATUSES } from "../../shared/task-status.ts";
import { DATA_SERVICE_TAG } from "../../shared/fhir-profiles.ts";
import { includeReferencesOf, matches, matchesEntries, paramsRead, sortHeads, sortResults } from "./search.ts";
import { indexEntries, normalizeReference, type Resource, type TokenEntry } from "./search-index.ts";
import { parseSearch, type SearchQuery, type TokenCondition } from "./search-params.ts";
import { COUNT_TOKEN_UP_TO, COUNT_UP_TO, VersionConflictError, type FhirStore, type Head, type StoredResource } from "./store.ts";
import { pageOf, visibleOf, walkHits, type WalkedPage } from "./walk.ts";
import { readerOf, ReaderStopped } from "../../shared/reader.ts";
import { relationOf, validate } from "./write.ts";

export const RESOURCE_TYPES = ["Patient", "Practitioner", "PractitionerRole", "Organization", "Task", "ActivityDefinition", "ServiceRequest",
  "Endpoint", "Questionnaire", "QuestionnaireResponse"] as const;

export interface FhirContext {
  dva: string; fhirBase: string; store: FhirStore; access: Access; now: () => Date; ifNoneMatch?: string | null;
  /** The AGB codes of this DVA's zorgaanbieders (an Organization's AGB is its zorgaanbieder's). */
  networkAgbs: readonly { zorgaanbieder: string; agb: string }[];
}
/** `body` is a resource, or its JSON text when served straight from the store. */
export interface FhirResult { status: number; body: unknown; etag?: string; lastModified?: string; location?: string; warnings?: Issue[] }

export function checkType(type: string): void {
  if (!(RESOURCE_TYPES as readonly string[]).includes(type)) throw notSupported(`resourcetype ${type} wordt niet ondersteund`);
}

const etagOf = (s: StoredResource) => `W/"${s.versionId}"`;
const httpDate = (iso: string) => new Date(iso).toUTCString();

/** The current version, if this token may read it (http.html: another's resource is absent, 404). */
export function readable(ctx: FhirContext, type: string, id: string): StoredResource {
  const raw = ctx.store.readRaw(ctx.dva, type, id);
  if (!raw || !mayReadStored(ctx.access, type, id, raw.patient)) throw notFound(`${type}/${id} bestaat niet`);
  return { resource: JSON.parse(raw.json) as Resource, versionId: raw.versionId, lastUpdated: raw.lastUpdated };
}

/** @see https://hl7.org/fhir/R4/http.html#read — the stored JSON is served as is (hot path). */
export function read(ctx: FhirContext, type: string, id: string): FhirResult {
  checkType(type);
  requireScope(ctx.access, type, "r");
  const raw = ctx.store.readRaw(ctx.dva, type, id);
  if (!raw || !mayReadStored(ctx.access, type, id, raw.patient)) throw notFound(`${type}/${id} bestaat niet`);
  return { status: 200, body: raw.json, etag: `W/"${raw.versionId}"`, lastModified: httpDate(raw.lastUpdated) };
}

/**
 * @see https://hl7.org/fhir/R4/http.html#vread — the read rule holds per version: a Task that
 * moved from one patient (or zorgaanbieder) to another shows each only its own versions.
 */
export function vread(ctx: FhirContext, type: string, id: string, version: string): FhirResult {
  checkType(type);
  requireScope(ctx.access, type, "r");
  const stored = /^\d+$/.test(version) ? ctx.store.vread(ctx.dva, type, id, Number(version)) : null;
  if (!stored || !canRead(ctx.access, stored.resource)) throw notFound(`${type}/${id}/_history/${version} bestaat niet`);
  return { status: 200, body: stored.resource, etag: etagOf(stored), lastModified: httpDate(stored.lastUpdated) };
}

/** A search hit: its head, and the resource, its stored text or its index rows when the search already read them. */
interface Hit extends Head { resource?: Resource; json?: string; tokens?: TokenEntry[] }

/**
 * From `indexFrom` candidates on, a system token's search runs on their index rows and only
 * the page is parsed; below it, parsing the candidates is cheaper than the index queries. From
 * `walkFrom` candidates on (counted no further), it walks the DVA in search order `step` heads at
 * a time — fewer, down to `minStep`, while a step takes longer than `stepMs` (a cold disk) — and
 * stops at the page (walkHits). An object, so that a test can force each path and compare them.
 */
export const searchTuning = { indexFrom: 200, walkFrom: 2_000, step: 250, minStep: 10, stepMs: 10 };

/** The hits of a search, access-checked, matched and sorted. */
function findHits(ctx: FhirContext, type: string, q: SearchQuery): Hit[] {
  const patient = patientOf(ctx.access);
  // Each candidate's index entries are computed once, for the access rule and every condition.
  const parsed = (list: StoredResource[]): Hit[] => sortResults(list.filter((s) => {
    const entries = indexEntries(s.resource);
    return mayReadStored(ctx.access, type, s.resource.id!, entries.patient) && matches(s, q, entries.tokens);
  }), q).map((s) => ({ id: s.resource.id!, versionId: s.versionId, lastUpdated: s.lastUpdated, resource: s.resource, json: s.json }));
  if (patient !== undefined) {
    // Patient tokens: the compartment only. A patient/subject/for naming someone else finds nothing.
    if (isShared(type)) return parsed(ctx.store.all(ctx.dva, type));
    if (patient === null || q.patientFilter.some((p) => p !== `Patient/${patient}`)) return [];
    if (type === "Patient") return parsed([ctx.store.read(ctx.dva, "Patient", patient)].filter((s): s is StoredResource => !!s));
    // The compartment's rows and their index rows, no JSON parsed (the PGO's collection, issue 16).
    const compartment = `Patient/${patient}`;
    const rows = ctx.store.byPatientRaw(ctx.dva, type, compartment);
    const tokens = ctx.store.keptTokensOf(ctx.dva, type, rows, paramsRead(q));
    const hits: Hit[] = rows.map((r) => ({ ...r, tokens: tokens.get(r.id) ?? [] }))
      .filter((h) => mayReadStored(ctx.access, type, h.id, compartment) && matchesEntries(h, h.tokens, q));
    return sortHeads(ctx.store, ctx.dva, hits, q);
  }
  // System tokens (a zorgaanbieder): narrow through an index when the query allows it — a
  // patient, _id, or the positive token condition with the fewest candidates — else every resource of the type.
  if (q.patientFilter.length > 0) {
    return parsed(type === "Patient"
      ? q.patientFilter.map((p) => ctx.store.read(ctx.dva, "Patient", p.replace(/^Patient\//, ""))).filter((s): s is StoredResource => !!s)
      : ctx.store.findByToken(ctx.dva, type, "patient", q.patientFilter));
  }
  const byId = q.tokens.find((c) => !c.not && c.param === "_id");
  if (byId) return parsed(byId.values.map((v) => ctx.store.read(ctx.dva, type, v.code)).filter((s): s is StoredResource => !!s));
  const narrowing = narrowest(ctx, type, q)?.condition;
  const heads = narrowing ? ctx.store.headsByToken(ctx.dva, type, narrowing.param, narrowing.values.map((v) => v.code)) : ctx.store.heads(ctx.dva, type);
  if (heads.length < searchTuning.indexFrom) {
    return parsed(heads.map((h) => ctx.store.read(ctx.dva, type, h.id)).filter((s): s is StoredResource => !!s));
  }
  // The candidates' own index rows (one query), never a parameter's rows of the whole DVA (issue 16).
  return sortHeads(ctx.store, ctx.dva, visibleOf(scopeOf(ctx), type, heads, q), q);
}

/**
 * The positive token condition with the fewest candidates (each counted to `walkFrom` at most, so
 * the question is bounded): a search narrows through it (`identifier` before `status`).
 */
function narrowest(ctx: FhirContext, type: string, q: SearchQuery): { condition: TokenCondition; candidates: number } | null {
  const known = narrowed.get(q);
  if (known !== undefined) return known;
  const conditions = narrowing(q);
  const best = fewest(conditions, conditions.map((c) => ctx.store.countTokenUpTo(ctx.dva, type, c.param, codesOf(c), searchTuning.walkFrom)));
  narrowed.set(q, best);
  return best;
}
/** Per parsed query (one request): walks() and findHits() ask the same question. */
const narrowed = new WeakMap<SearchQuery, { condition: TokenCondition; candidates: number } | null>();
/** Per parsed query: the resources of its type, counted to `walkFrom` (when no condition narrows). */
const typeCounted = new WeakMap<SearchQuery, number>();

/** The conditions a search may narrow through, and the codes each names. */
const narrowing = (q: SearchQuery) => q.tokens.filter((c) => !c.not && c.param !== "_id");
const codesOf = (c: TokenCondition) => [...new Set(c.values.map((v) => v.code))];
function fewest(conditions: TokenCondition[], counts: number[]): { condition: TokenCondition; candidates: number } | null {
  let best: { condition: TokenCondition; candidates: number } | null = null;
  conditions.forEach((condition, i) => { if (!best || counts[i]! < best.candidates) best = { condition, candidates: counts[i]! }; });
  return best;
}

/** Might this search walk? Only a system token's, with no patient and no _id (those are answered from their own rows). */
function mayWalk(ctx: FhirContext, q: SearchQuery): boolean {
  return patientOf(ctx.access) === undefined && q.patientFilter.length === 0 && !q.tokens.some((c) => !c.not && c.param === "_id");
}

/**
 * Does this search walk (walkHits) rather than collect every hit? A system token's search whose
 * candidates — the type, or its narrowest positive token condition's — are many (`walkFrom` or more).
 */
function walks(ctx: FhirContext, type: string, q: SearchQuery): boolean {
  if (!mayWalk(ctx, q)) return false;
  const limit = searchTuning.walkFrom;
  const candidates = narrowest(ctx, type, q)?.candidates ?? typeCounted.get(q) ?? ctx.store.countUpTo(ctx.dva, type, limit);
  return candidates >= limit;
}

/**
 * The counts walks() decides by. First here up to `indexFrom` (a few index pages, those findHits
 * reads next anyway): a selective search is decided without a message to the worker. Only where
 * that many are found are they counted on to `walkFrom` in the reader worker (shared/reader.ts): on
 * a cold disk the first non-selective search read ~50 index pages for them on the event loop (57 ms).
 */
async function countInReader(ctx: FhirContext, type: string, q: SearchQuery): Promise<void> {
  if (!mayWalk(ctx, q) || narrowed.has(q)) return;
  const small = Math.min(searchTuning.indexFrom, searchTuning.walkFrom);
  const conditions = narrowing(q);
  const few = conditions.map((c) => ctx.store.countTokenUpTo(ctx.dva, type, c.param, codesOf(c), small));
  // A condition under the cap has the fewest candidates of all (the others have at least the cap): exact.
  if (few.some((n) => n < small)) { narrowed.set(q, fewest(conditions, few)); return; }
  if (conditions.length === 0) {
    const n = ctx.store.countUpTo(ctx.dva, type, small);
    if (n < small) { narrowed.set(q, null); typeCounted.set(q, n); return; }
  }
  const reader = readerOf(ctx.store.database);
  const limit = searchTuning.walkFrom;
  const counts = await Promise.all(conditions.map(async (c) =>
    (await reader.all<{ n: number }>(COUNT_TOKEN_UP_TO, [ctx.dva, type, c.param, JSON.stringify(codesOf(c)), limit]))[0]?.n ?? 0));
  const best = fewest(conditions, counts);
  narrowed.set(q, best);
  if (!best) typeCounted.set(q, (await reader.all<{ n: number }>(COUNT_UP_TO, [ctx.dva, type, limit]))[0]?.n ?? 0);
}

/** A page of a search: its hits, Bundle.total where known, and whether more follow. */
interface Found { page: Hit[]; total: number | null; more: boolean }

async function findPage(ctx: FhirContext, type: string, q: SearchQuery): Promise<Found> {
  const end = q.summaryCount ? 0 : q.offset + q.count;
  if (!ctx.store.inTransaction) await countInReader(ctx, type, q);
  if (!walks(ctx, type, q)) {
    const hits = findHits(ctx, type, q);
    return { page: hits.slice(q.offset, end), total: hits.length, more: end < hits.length };
  }
  const counting = q.summaryCount || q.total === "accurate";
  const { page, matched, complete } = await walked(ctx, type, q, end, counting);
  return { page, total: complete || counting ? matched : null, more: matched > end };
}

/**
 * A walk, in the reader worker where the data is a file (shared/reader.ts: the disk it waits for is
 * never the event loop's), else here a step at a time with yields between. The worker reads what was
 * committed; this thread commits every write before it answers, so a search never misses one a
 * client was told is stored.
 */
async function walked(ctx: FhirContext, type: string, q: SearchQuery, keep: number, counting: boolean): Promise<WalkedPage> {
  const tuning = { step: searchTuning.step, minStep: searchTuning.minStep, stepMs: searchTuning.stepMs };
  const inWorker = ctx.store.inTransaction ? null : readerOf(ctx.store.database)
    .call<WalkedPage>({ kind: "walk", dva: ctx.dva, type, q, offset: q.offset, keep, counting, rule: plainRule(ctx.access.rule), tuning });
  if (inWorker) {
    try { return await inWorker; } catch (e) { if (e instanceof ReaderStopped) throw e; /* the worker failed (the reader stops using it): the walk is made here */ }
  }
  const walk = walkHits(scopeOf(ctx), type, q, keep, counting, tuning);
  for (let step = walk.next(); ; step = walk.next()) {
    if (step.done) {
      const { hits, matched, complete } = step.value;
      return { page: pageOf(scopeOf(ctx), type, hits.slice(q.offset), q), matched, complete };
    }
    await yieldToOthers();
  }
}

/** Where ownership is decided for this request: its store, its DVA, its token's organisation rule. */
const scopeOf = (ctx: FhirContext): OwnershipScope => ({ fhir: ctx.store, dva: ctx.dva, rule: ctx.access.rule });
/** The rule as data for the worker: its generation (a counter of this thread) means nothing there. */
const plainRule = (rule: OrgRule): OrgRule => ({ own: rule.own, others: rule.others, publishers: rule.publishers });

/**
 * The resources a search finds for this token, for a conditional interaction (http.html#ccreate):
 * strict, so an unknown parameter is a 400 rather than a silent "no match".
 */
export function conditionalMatches(ctx: FhirContext, type: string, params: URLSearchParams): StoredResource[] {
  const q = parseSearch(type, params);
  if (q.unknown.length) throw badRequest(`onbekende zoekparameters in If-None-Exist: ${q.unknown.join(", ")}`, q.unknown[0]);
  if (q.tokens.length + q.strings.length + q.lastUpdated.length + q.patientFilter.length === 0) throw badRequest("If-None-Exist noemt geen zoekparameters");
  // A conditional write decides and writes in one turn of the event loop (two concurrent ones must
  // not both create): it cannot walk with yields, so criteria that would walk the DVA are refused
  // as not selective enough (http.html#ccreate: 412), never scanned while everyone waits.
  if (walks(ctx, type, q)) {
    throw preconditionFailed(`If-None-Exist is niet selectief genoeg (${searchTuning.walkFrom} of meer ${type}-resources om na te lopen); noem een identifier`);
  }
  return findHits(ctx, type, q).map((h) => h.resource ? { resource: h.resource, versionId: h.versionId, lastUpdated: h.lastUpdated } : ctx.store.read(ctx.dva, type, h.id))
    .filter((s): s is StoredResource => !!s);
}

/**
 * The bundle's warning for ignored parameters; an empty one is named so (search.html#errors: "Empty
 * parameters are not an error"). SD 3.3 writes `Task?code=` with no value, a selection code for
 * provider tasks still to come: that one is explained, with the tag that selects them today.
 */
function ignoredIssues(type: string, q: SearchQuery): Issue[] {
  const issues: Issue[] = [{ severity: "warning", code: "not-supported",
    diagnostics: `genegeerde zoekparameters: ${q.unknown.map((k) => q.empty.includes(k) ? `${k} (leeg)` : k).join(", ")}` }];
  if (type === "Task" && q.empty.includes("code")) {
    issues.push({ severity: "information", code: "informational", expression: ["code"], diagnostics: "code= zonder waarde (zoals SD 3.3 Task?code= schrijft) selecteert niets: "
      + `de selectiecode voor aanbiedertaken volgt in een komende versie. Aanbiedertaken selecteert u met _tag=${DATA_SERVICE_TAG.system}|${DATA_SERVICE_TAG.code}; `
      + "code=<system>|<code> zoekt op Task.code" });
  }
  return issues;
}

/**
 * @see https://hl7.org/fhir/R4/http.html#search — Bundle.total where it is known without counting
 * a whole DVA, or asked for (`_total=accurate`, `_summary=count`); the CapabilityStatement says so.
 */
export async function search(ctx: FhirContext, type: string, params: URLSearchParams, selfUrl: string, strict: boolean): Promise<FhirResult> {
  checkType(type);
  requireScope(ctx.access, type, "s");
  const q = parseSearch(type, params);
  if (q.unknown.length && strict) throw badRequest(`onbekende zoekparameters: ${q.unknown.join(", ")}`, q.unknown[0]);
  const { page: hits, total, more } = await findPage(ctx, type, q);
  // The ETag covers what the Bundle shows: the page's versions and its included ones, the total and the next link.
  const versions: string[] = [];
  const bundleTag = () => `W/"${sha256(`${versions.join(",")}|${total ?? "-"}|${more}|${selfUrl}`, "base64url").slice(0, 22)}"`;
  const warning = q.unknown.length ? { resource: { resourceType: "OperationOutcome", issue: ignoredIssues(type, q) }, search: { mode: "outcome" } } : null;
  if (q.summaryCount) {
    return { status: 200, body: { resourceType: "Bundle", type: "searchset", total, ...(warning ? { entry: [warning] } : {}) }, etag: bundleTag() };
  }

  // Only the page is read when the hits came from the index; a hit with its text and index rows is
  // not parsed at all. An _include follows the index rows of its resource (includeReferencesOf).
  const page = hits
    .map((h): { id: string; versionId: number; json: string; tokens: () => readonly TokenEntry[] } | null => {
      if (h.json !== undefined && h.tokens) { const tokens = h.tokens; return { id: h.id, versionId: h.versionId, json: h.json, tokens: () => tokens }; }
      const s = h.resource ? { resource: h.resource, json: h.json, versionId: h.versionId } : ctx.store.read(ctx.dva, type, h.id);
      if (!s) return null;
      const resource = s.resource;
      return { id: h.id, versionId: s.versionId, json: s.json ?? JSON.stringify(resource), tokens: () => indexEntries(resource).tokens };
    })
    .filter((p): p is NonNullable<typeof p> => p !== null);
  versions.push(...page.map((p) => `${type}/${p.id}@${p.versionId}`));
  // Entries are kept as JSON text: resources are embedded as stored, never re-serialised.
  const entries: string[] = page.map((p) => `{"fullUrl":${JSON.stringify(`${ctx.fhirBase}/${type}/${p.id}`)},"resource":${p.json},"search":{"mode":"match"}}`);
  const seen = new Set(page.map((p) => `${type}/${p.id}`));
  const pageTokens = q.includes.length ? page.map((p) => p.tokens()) : [];
  for (const include of q.includes) {
    for (const [i, p] of page.entries()) {
      for (const ref of includeReferencesOf(pageTokens[i]!, include)) {
        if (seen.has(ref)) continue;
        seen.add(ref);
        const [t, id] = ref.split("/") as [string, string];
        const target = scopeAllows(ctx.access, t, "r") ? ctx.store.readRaw(ctx.dva, t, id) : null;
        if (target && mayReadStored(ctx.access, t, id, target.patient)) {
          entries.push(`{"fullUrl":${JSON.stringify(`${ctx.fhirBase}/${ref}`)},"resource":${target.json},"search":{"mode":"include"}}`);
          versions.push(`${ref}@${target.versionId}`); // an included resource that changes must change the bundle ETag
        }
      }
    }
  }
  const etag = bundleTag();
  // http.html#cread: a client that has this bundle gets 304 before anything is serialised.
  if (ctx.ifNoneMatch === etag) return { status: 304, body: null, etag };
  if (warning) entries.push(JSON.stringify(warning));
  const links = [{ relation: "self", url: selfUrl }];
  if (more) {
    const next = new URL(selfUrl);
    next.searchParams.set("_count", String(q.count));
    next.searchParams.set("_offset", String(q.offset + q.count));
    links.push({ relation: "next", url: next.href });
  }
  const body = `{"resourceType":"Bundle","type":"searchset",${total === null ? "" : `"total":${total},`}"link":${JSON.stringify(links)},"entry":[${entries.join(",")}]}`;
  return { status: 200, body, etag };
}

/** SPEC §6 Task status rules: open → in-progress → completed | failed; any open → cancelled. */
export function allowedTransition(from: string, to: string): boolean {
  if (from === to) return true;
  if (OPEN_STATUSES.includes(from)) return to === "in-progress" || to === "cancelled" || OPEN_STATUSES.includes(to);
  if (from === "in-progress") return to === "completed" || to === "failed" || to === "cancelled";
  return false;
}

/** Elements a module may change on its launched Task (SPEC §5, issue 10): never meta (the DataService tag) or anything else. */
const MODULE_TASK_ELEMENTS = new Set(["status", "statusReason", "businessStatus", "output"]);

/** @see https://hl7.org/fhir/R4/http.html#patch (JSON Patch, RFC 6902; FHIRPath Patch as Parameters) */
export function patchTask(ctx: FhirContext, id: string, operations: unknown, ifMatch: string | null): FhirResult {
  requireScope(ctx.access, "Task", "u");
  const stored = readable(ctx, "Task", id);
  if (ctx.access.kind === "module" && ctx.access.task !== `Task/${id}`) throw notFound(`Task/${id} bestaat niet`);
  const expected = ifMatch ? /^(?:W\/)?"(\d+)"$/.exec(ifMatch.trim())?.[1] : undefined;
  if (ifMatch && !expected) throw badRequest("If-Match moet een ETag zijn zoals W/\"3\"");
  if (expected && Number(expected) !== stored.versionId) throw preconditionFailed(`versie ${expected} is niet de huidige (${stored.versionId}); lees de Task opnieuw`);
  if (isFhirPathPatch(operations)) operations = fhirPathPatchToJsonPatch(operations, stored.resource);
  if (!Array.isArray(operations)) throw badRequest("een JSON Patch is een lijst van operaties (RFC 6902)");
  let patched: Resource;
  try {
    patched = applyPatch(structuredClone(stored.resource), operations as Operation[], true, false).newDocument as Resource;
  } catch (e) {
    throw badRequest(`de JSON Patch kan niet worden toegepast: ${(e as Error).message.split("\n")[0]}`);
  }
  // A patch on the document root ("" in JSON Patch) can remove or replace the whole resource.
  if (typeof patched !== "object" || patched === null || Array.isArray(patched)) throw badRequest("een patch verwijdert of vervangt niet de hele Task; wijzig de elementen", "Task");
  if (patched.resourceType !== "Task" || patched.id !== id) throw badRequest("resourceType en id mogen niet veranderen");
  // The patched Task meets every rule a PUT of it would: SPEC §3 elements, the FHIR R4 structure.
  validate(ctx, "Task", patched, stored.resource);
  if (ctx.access.kind === "module") moduleMayChangeTask(ctx, ctx.access, stored.resource, patched);
  if (ctx.access.kind === "system") {
    const orgs = organisationsOfResource(ctx.access, patched);
    if (!writable(ctx.access.rule, orgs)) throw forbidden("de Task zou bij een andere zorgaanbieder horen; u schrijft alleen voor uw eigen organisatie");
    mayRefer(ctx.access, patched, stored.resource);
  }
  const from = String(stored.resource.status);
  const to = String(patched.status);
  if (!allowedTransition(from, to)) throw unprocessable(`statusovergang ${from} → ${to} is niet toegestaan`, "Task.status");
  if (to === "cancelled" && from !== "cancelled" && !(patched.statusReason as { text?: string } | undefined)?.text) {
    throw unprocessable("annuleren vraagt een reden in statusReason.text", "Task.statusReason");
  }
  // A change the server applies sets Task.lastModified, unless the patch itself wrote it (then it is the writer's value).
  if (patched.lastModified === stored.resource.lastModified) patched.lastModified = ctx.now().toISOString();
  try {
    const saved = ctx.store.save(ctx.dva, patched, { ifMatch: stored.versionId, now: ctx.now(), relates: relationOf(ctx.access, "Task") });
    return { status: 200, body: saved.resource, etag: etagOf(saved), lastModified: httpDate(saved.lastUpdated) };
  } catch (e) {
    if (e instanceof VersionConflictError) throw preconditionFailed("de Task is intussen gewijzigd; lees hem opnieuw");
    throw e;
  }
}

/**
 * A module changes its launched Task's status, statusReason, businessStatus and output only, and
 * an output that refers to something refers to a QuestionnaireResponse of the same patient that
 * answers this Task (so a result page never shows someone else's answers).
 */
function moduleMayChangeTask(ctx: FhirContext, access: Extract<Access, { kind: "module" }>, before: Resource, after: Resource): void {
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!MODULE_TASK_ELEMENTS.has(key) && JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      throw unprocessable(`een module mag alleen status, statusReason, businessStatus en output van de Task wijzigen, niet ${key}`, `Task.${key}`);
    }
  }
  const earlier = new Set((Array.isArray(before.output) ? before.output : []).map((o) => JSON.stringify(o)));
  (Array.isArray(after.output) ? after.output : []).forEach((output: { valueReference?: { reference?: unknown } }, i: number) => {
    if (earlier.has(JSON.stringify(output)) || output?.valueReference === undefined) return;
    const raw = output.valueReference?.reference;
    const ref = typeof raw === "string" && (!raw.includes("://") || raw.startsWith(`${ctx.fhirBase}/`)) ? normalizeReference(raw) : null;
    const qr = ref?.startsWith("QuestionnaireResponse/") ? ctx.store.read(ctx.dva, "QuestionnaireResponse", ref.slice("QuestionnaireResponse/".length))?.resource : undefined;
    if (!qr || !answersLaunch(access, qr)) {
      throw unprocessable(`Task.output mag alleen verwijzen naar een QuestionnaireResponse van deze patiënt bij deze taak, niet naar ${String(raw)}`, `Task.output[${i}].valueReference`);
    }
  });
}
