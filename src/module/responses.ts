/**
 * Writing a questionnaire's answers so that two sessions of one launch (two tabs, a stale tab)
 * have one outcome (issue 11 item 3): one QuestionnaireResponse per Task, created with
 * `If-None-Exist` and changed only with `If-Match`, and the Task completed with `If-Match` on
 * the version this request read. A write that loses — 412, or the DVA's 409/422 for a response
 * that is already completed — is read again: a completed response or Task means someone else
 * finished ("taken"), and this session shows the stored answers instead of writing its own.
 * @see https://hl7.org/fhir/R4/http.html#concurrency
 * @see https://hl7.org/fhir/R4/http.html#ccreate
 */
type Res = Record<string, any>;
/** One FHIR interaction at the launch's DVA, with the module's token (a path relative to the FHIR base). */
export type FhirSend = (path: string, init?: RequestInit) => Promise<Response>;
export type WriteOutcome = { kind: "saved"; resource: Res } | { kind: "taken" } | { kind: "failed" };

const LOST = new Set([409, 412, 422]);
const FINISHED = new Set(["completed", "amended"]);

export const isFinished = (qr: Res | null | undefined): boolean => FINISHED.has(String(qr?.status));
const etagOf = (r: Res | null | undefined): string | null => r?.meta?.versionId ? `W/"${r.meta.versionId}"` : null;

async function read(send: FhirSend, path: string): Promise<{ resource: Res; etag: string | null } | null> {
  const res = await send(path);
  if (!res.ok) return null;
  const resource = await res.json().catch(() => null) as Res | null;
  return resource ? { resource, etag: res.headers.get("etag") ?? etagOf(resource) } : null;
}

/**
 * Store `qr` as the Task's QuestionnaireResponse. `current` is the one this request read (or
 * none): without one, a conditional create on the Task, so the DVA decides between two first
 * saves and the loser gets the winner's response back (200) to update instead.
 */
export async function saveResponse(send: FhirSend, taskRef: string, qr: Res, current: Res | null): Promise<WriteOutcome> {
  let target: { id: string; etag: string | null } | null = current?.id ? { id: String(current.id), etag: etagOf(current) } : null;
  if (!target) {
    const created = await send("QuestionnaireResponse", { method: "POST", body: JSON.stringify(qr),
      headers: { "Content-Type": "application/fhir+json", "If-None-Exist": `task=${taskRef}` } });
    const body = await created.json().catch(() => null) as Res | null;
    if (created.status === 201 && body) return { kind: "saved", resource: body };
    if (created.status !== 200 || !body?.id) return { kind: "failed" };
    if (isFinished(body)) return { kind: "taken" };
    target = { id: String(body.id), etag: created.headers.get("etag") ?? etagOf(body) };
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    if (!target.etag) {
      const fresh = await read(send, `QuestionnaireResponse/${target.id}`);
      if (!fresh) return { kind: "failed" };
      if (isFinished(fresh.resource)) return { kind: "taken" };
      target.etag = fresh.etag;
    }
    const res = await send(`QuestionnaireResponse/${target.id}`, { method: "PUT", body: JSON.stringify({ ...qr, id: target.id }),
      headers: { "Content-Type": "application/fhir+json", "If-Match": target.etag ?? "" } });
    if (res.ok) return { kind: "saved", resource: await res.json().catch(() => ({ ...qr, id: target!.id })) as Res };
    if (!LOST.has(res.status)) return { kind: "failed" };
    const fresh = await read(send, `QuestionnaireResponse/${target.id}`);
    if (!fresh) return { kind: "failed" };
    if (isFinished(fresh.resource)) return { kind: "taken" };
    // Still a draft: another tab saved in between (412). Try once more on its version; a 422 on a draft is a real refusal.
    if (res.status === 422) return { kind: "failed" };
    target.etag = fresh.etag;
  }
  return { kind: "failed" };
}

/**
 * Complete the launched Task with its outputs, with `If-Match` on the version `task` is. On a
 * lost write the Task is read again: completed with this response as output is this session's
 * own completion (another session settled it with the same response), completed otherwise is
 * "taken"; still open (an unrelated change) gets one more try.
 */
export async function completeTask(send: FhirSend, taskRef: string, task: Res, outputs: Res[], responseId: string): Promise<WriteOutcome> {
  let etag = etagOf(task);
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await send(taskRef, { method: "PATCH", headers: { "Content-Type": "application/json-patch+json", ...(etag ? { "If-Match": etag } : {}) },
      body: JSON.stringify([{ op: "replace", path: "/status", value: "completed" }, { op: "add", path: "/output", value: outputs }]) });
    if (res.ok) return { kind: "saved", resource: await res.json().catch(() => task) as Res };
    if (!LOST.has(res.status)) return { kind: "failed" };
    const fresh = await read(send, taskRef);
    if (!fresh) return { kind: "failed" };
    if (fresh.resource.status === "completed") {
      const ours = ((fresh.resource.output ?? []) as Res[]).some((o) => o?.valueReference?.reference === `QuestionnaireResponse/${responseId}`);
      return ours ? { kind: "saved", resource: fresh.resource } : { kind: "taken" };
    }
    if (fresh.resource.status !== "in-progress") return { kind: "failed" };
    etag = fresh.etag;
  }
  return { kind: "failed" };
}
