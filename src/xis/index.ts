/**
 * Clinician portal (`xis.localhost`, SPEC §9, SD 3.1): a clinician logs in, picks a patient,
 * assigns a module from the organisation's catalogue (once or weekly, with an instruction and a
 * period), sends the invitation e-mail with the PGO deep link and QR code into the sandbox
 * mailbox, follows the tasks' status live, cancels with a reason, and reads results with the
 * scores of earlier rounds. It talks to its DVA and the mailbox over HTTP only.
 */
import type { SandboxContext } from "../shared/context.ts";
import { createActorApp } from "../shared/actor-app.ts";
import { clearCookie, readCookie, serializeCookie } from "../shared/cookies.ts";
import { randomToken } from "../shared/crypto.ts";
import { CSRF_FIELD } from "../shared/csrf.ts";
import { htmlResponse, readForm, redirectAfterPost, safeNext, toLogin } from "../shared/html.ts";
import { createHttpClient, UnreachableError } from "../shared/http-client.ts";
import { createLoginGuard, createPasswordCheck, tooManyAttempts } from "../shared/login-guard.ts";
import type { ResolvedClinician } from "../shared/resolved-network.ts";
import { isValidBsn, normalizeBsn } from "../shared/bsn.ts";
import { incomingIds, type Trace } from "../shared/trace.ts";
import { amsterdamOffset, localDateTime } from "../shared/time.ts";
import { CLINICIAN_LOGIN } from "../shared/tickets.ts";
import { LoginPage } from "../../views/components/login.tsx";
import { ErrorPage } from "../../views/error-page.tsx";
import { themes } from "../../views/theme.ts";
import { PatientPage, PatientRows, PatientsPage, ResultPage, TaskTable, type AssignValues, type NewPatientValues, type Who } from "../../views/xis/pages.tsx";
import { createDvaClient, DvaError, type DvaClient, type Resource } from "./dva-client.ts";
import { answersOf } from "./answers.ts";
import { createPgoList } from "./pgo-list.ts";
import { createPortal, patientBsn, patientName, PortalError, type Portal } from "./portal.ts";
import { XisStore } from "./store.ts";

export const XIS_SESSION_COOKIE = "xis_session";
const SESSION_TTL_MS = 8 * 60 * 60_000;
const DAY = 86_400_000;

export function createXis(ctx: SandboxContext) {
  const n = ctx.network;
  const theme = themes.xis(n.xis.displayName);
  const store = new XisStore(ctx.db);
  const http = createHttpClient({ location: n.xis.hostname, chain: ctx.chain });
  const clients = new Map<string, DvaClient>();
  const portals = new Map<string, Portal>();
  const pgoList = createPgoList(http, n.verbind.origin);

  function portalOf(c: ResolvedClinician): Portal {
    let portal = portals.get(c.id);
    if (portal) return portal;
    const za = n.zorgaanbieders.find((z) => z.name === c.zorgaanbieder)!;
    let client = clients.get(za.name);
    if (!client) clients.set(za.name, client = createDvaClient(http, za, za.dvaSite));
    portals.set(c.id, portal = createPortal(client, za, c));
    return portal;
  }

  const clinicianOf = (request: Request): ResolvedClinician | null => {
    const id = readCookie(request, XIS_SESSION_COOKIE);
    const clinician = id ? store.clinicianOf(id, Date.now()) : null;
    return clinician ? n.clinicians.find((c) => c.id === clinician) ?? null : null;
  };
  const organisationName = (c: ResolvedClinician) => n.zorgaanbieders.find((z) => z.name === c.zorgaanbieder)?.displayName ?? c.zorgaanbieder;
  const who = (c: ResolvedClinician, csrfToken: string): Who => ({ name: c.fullName, role: c.role, organisation: organisationName(c), csrfToken });
  /** One trace per page view: the portal's calls to the DVA and the mailbox share it (chain log). */
  const trace = (request: Request): Trace => ({ traceId: incomingIds(request).traceId, sessionId: null });
  const page = (request: Request, heading: string, message: string, status: number, back = { href: "/patienten", label: "Naar de patiënten" }, traceId?: string) =>
    htmlResponse(ErrorPage({ theme, heading, message, traceId: traceId ?? incomingIds(request).traceId, back }), { status });

  /** Run a page that talks to the DVA; its failures become a page with the trace id, never a 500. */
  async function withDva(request: Request, run: (c: ResolvedClinician, t: Trace) => Promise<Response>): Promise<Response> {
    const clinician = clinicianOf(request);
    if (!clinician) return toLogin(request);
    const t = trace(request);
    try {
      return await run(clinician, t);
    } catch (e) {
      // The Trace ID shown is the one of the calls that failed (cockpit: Ketenmonitoring).
      const back = { href: "/patienten", label: "Naar de patiënten" };
      if (e instanceof UnreachableError) return page(request, "DVA niet bereikbaar", "De DVA van uw organisatie antwoordt niet. Probeer het later opnieuw.", 502, back, t.traceId);
      if (e instanceof DvaError) return page(request, "Fout bij de DVA", e.message, 502, back, t.traceId);
      if (e instanceof PortalError) return page(request, "Dat lukte niet", `${e.message.charAt(0).toUpperCase()}${e.message.slice(1)}.`, 422, back, t.traceId);
      throw e;
    }
  }

  async function patientPage(request: Request, c: ResolvedClinician, t: Trace, patientId: string, extra: { notice?: string; errors?: Record<string, string>; values?: AssignValues; status?: number } = {}) {
    const portal = portalOf(c);
    const patient = await portal.patient(patientId, t);
    if (!patient) return page(request, "Patiënt niet gevonden", "Deze patiënt bestaat niet bij de DVA van uw organisatie.", 404);
    const [tasks, catalogue, pgos] = await Promise.all([portal.tasks(patientId, t), portal.catalogue(t), pgoList.pgos(t)]);
    const csrf = ctx.csrf.grant(request);
    const today = new Date();
    const values: AssignValues = extra.values ?? { start: isoDate(today), eind: isoDate(new Date(today.getTime() + 14 * DAY)), aantal: "1", mail: "ja", aanvraag: randomToken(12) };
    return htmlResponse(PatientPage({ theme, who: who(c, csrf.token), patientId, name: patientName(patient), bsn: patientBsn(patient),
      birthDate: (patient.birthDate as string | undefined) ?? null, tasks, catalogue, pgos, notice: extra.notice, errors: extra.errors, values }),
    { status: extra.status ?? 200, setCookies: [csrf.setCookie] });
  }

  /**
   * AM-FE-005/014: the invitation in the mailbox, with the Verbind.MedMij link of the zorgaanbieder
   * (`verbind.<domain>/code/<ZAcode>`, issue 14), where the person picks a PGO that supports modules.
   */
  async function sendInvitation(c: ResolvedClinician, patient: Resource, what: string[], t: Trace): Promise<void> {
    const za = n.zorgaanbieders.find((z) => z.name === c.zorgaanbieder)!;
    const name = patientName(patient);
    const link = `${n.verbind.origin}/code/${za.verbindCode}`;
    const body = [
      `Beste ${name},`,
      what.length
        ? `${c.fullName} (${c.role}, ${za.displayName}) heeft voor u klaargezet: ${what.join("; ")}.`
        : `${c.fullName} (${c.role}, ${za.displayName}) nodigt u uit om uw taken van ${za.displayName} in uw persoonlijke gezondheidsomgeving (PGO) te bekijken.`,
      "U start de taak vanuit een PGO die aanbiedermodules ondersteunt. Met de link hieronder, of door de QR-code te scannen, komt u direct bij de juiste zorgaanbieder en hoeft u die niet zelf te zoeken.",
      "U logt eerst in bij uw PGO en geeft dan met DigiD toestemming om uw taken op te halen. De taak staat daarna onder \"Taken van zorgaanbieders\".",
      `Met vriendelijke groet,\n${c.fullName}\n${za.displayName}`,
    ].join("\n\n");
    const res = await http.send(`${n.cockpit.origin}/api/mail`, {
      method: "POST", trace: t, headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ from: `${za.displayName} <noreply@${za.name.replace(/@medmij$/, "")}.example>`, to: `${name} (BSN ${patientBsn(patient) ?? "onbekend"})`,
        subject: `Uitnodiging van ${za.displayName}`, body, link }),
    });
    if (res.status !== 201) throw new DvaError(`Het postvak nam de uitnodiging niet aan (HTTP ${res.status}).`, res.status);
  }

  // Clinicians' passwords come from the network in plain text. Hashed once, on the first login
  // attempt of any kind, so a known and an unknown username both verify a hash (login-guard.ts).
  const guard = ctx.retained(`xis:${n.xis.hostname}:guard`, () => createLoginGuard(`xis:${n.xis.hostname}`));
  const passwords = createPasswordCheck();
  // Retained across the host map's rebuilds (issue 14): hashing every clinician's password again costs a login.
  const hashes = ctx.retained(`xis:${n.xis.hostname}:hashes`, () => ({ clinicianHashes: undefined as Promise<Map<string, string>> | undefined }));
  const hashOf = async (c: ResolvedClinician | undefined) => {
    hashes.clinicianHashes ??= Promise.all(n.clinicians.map(async (x) => [x.id, await passwords.hash(x.password)] as const)).then((pairs) => new Map(pairs));
    const clinicianHashes = await hashes.clinicianHashes;
    return c ? clinicianHashes.get(c.id) : undefined;
  };
  const loginFailed = (request: Request, next: string, username: string, status: number, error: string, headers?: Record<string, string>) => {
    const csrf = ctx.csrf.grant(request);
    return htmlResponse(LoginPage({ theme, csrfToken: csrf.token, next, username, accountLink: false, heading: "Inloggen zorgverlener", error }), { status, headers });
  };

  return createActorApp(`xis:${n.xis.hostname}`, theme)
    .get("/", ({ request }) => new Response(null, { status: 303, headers: { Location: clinicianOf(request) ? "/patienten" : "/login" } }))
    .get("/login", ({ request }) => {
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(LoginPage({ theme, csrfToken: csrf.token, next: safeNext(new URL(request.url).searchParams.get("next")), accountLink: false,
        heading: "Inloggen zorgverlener", intro: "Log in met uw gebruikersnaam en wachtwoord van het zorgverlenersportaal (zie de cockpit)." }), { setCookies: [csrf.setCookie] });
    })
    .post("/login", async ({ request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return page(request, "Formulier verlopen", "Laad de pagina opnieuw en probeer het nog eens.", 403, { href: "/login", label: "Naar inloggen" });
      const username = (form.username ?? "").trim().toLowerCase();
      const next = safeNext(form.next);
      const wait = guard.attempt(username);
      if (wait) return loginFailed(request, next, username, 429, tooManyAttempts(wait), { "Retry-After": String(wait) });
      const clinician = n.clinicians.find((c) => c.username === username);
      const ok = await passwords.verify(form.password ?? "", await hashOf(clinician)); // also when unknown: same time
      if (!clinician || !ok) return loginFailed(request, next, username, 401, "Deze combinatie van gebruikersnaam en wachtwoord kennen we niet.");
      guard.succeeded(username);
      const session = store.createSession(clinician.id, Date.now(), SESSION_TTL_MS);
      return redirectAfterPost(request, next === "/" ? "/patienten" : next, [serializeCookie(XIS_SESSION_COOKIE, session, { maxAgeSeconds: SESSION_TTL_MS / 1000 })]);
    })
    // The cockpit's one-click "Start als Anna" (a signed single-use ticket, shared/tickets.ts).
    .get("/persona-login", ({ request }) => {
      const id = ctx.tickets.redeem(CLINICIAN_LOGIN, new URL(request.url).searchParams.get("ticket"));
      const clinician = id ? n.clinicians.find((c) => c.id === id) : null;
      if (!clinician) return page(request, "Startlink verlopen", "Deze startlink uit de cockpit is verlopen of al gebruikt. Start opnieuw vanuit de cockpit, of log in.", 400, { href: "/login", label: "Naar inloggen" });
      const session = store.createSession(clinician.id, Date.now(), SESSION_TTL_MS);
      return new Response(null, { status: 303, headers: { Location: "/patienten", "Set-Cookie": serializeCookie(XIS_SESSION_COOKIE, session, { maxAgeSeconds: SESSION_TTL_MS / 1000 }) } });
    })
    .post("/logout", async ({ request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return page(request, "Formulier verlopen", "Laad de pagina opnieuw en probeer het nog eens.", 403);
      const id = readCookie(request, XIS_SESSION_COOKIE);
      if (id) store.endSession(id);
      return redirectAfterPost(request, "/login", [clearCookie(XIS_SESSION_COOKIE)]);
    })
    .get("/patienten", ({ request }) => withDva(request, async (c, t) => {
      const q = (new URL(request.url).searchParams.get("q") ?? "").slice(0, 100);
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(PatientsPage({ theme, who: who(c, csrf.token), q, ...(await portalOf(c).patients(q, t)) }), { setCookies: [csrf.setCookie] });
    }))
    .post("/patienten", ({ request }) => withDva(request, async (c, t) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return page(request, "Formulier verlopen", "Laad de pagina opnieuw en probeer het nog eens.", 403);
      const values: NewPatientValues = { voornaam: (form.voornaam ?? "").trim(), achternaam: (form.achternaam ?? "").trim(), bsn: (form.bsn ?? "").trim(),
        geboortedatum: form.geboortedatum ?? "", geslacht: ["female", "male", "other"].includes(form.geslacht ?? "") ? form.geslacht : "unknown" };
      const errors: Record<string, string> = {};
      if (!values.voornaam || values.voornaam.length > 60) errors.voornaam = "Vul een voornaam in.";
      if (!values.achternaam || values.achternaam.length > 80) errors.achternaam = "Vul een achternaam in.";
      const bsn = normalizeBsn(values.bsn ?? "");
      if (!bsn || !isValidBsn(bsn)) errors.bsn = "Dit is geen geldig BSN: 9 cijfers die de elfproef doorstaan.";
      const born = parseDate(values.geboortedatum);
      if (!born || born.getTime() > Date.now()) errors.geboortedatum = "Vul een geldige geboortedatum in, niet in de toekomst.";
      const portal = portalOf(c);
      if (Object.keys(errors).length) {
        const csrf = ctx.csrf.grant(request);
        return htmlResponse(PatientsPage({ theme, who: who(c, csrf.token), q: "", ...(await portal.patients("", t)), errors, values }), { status: 422, setCookies: [csrf.setCookie] });
      }
      let added: { id: string; created: boolean };
      try {
        added = await portal.addPatient({ given: values.voornaam!, family: values.achternaam!, bsn: bsn!, birthDate: values.geboortedatum!, gender: values.geslacht! }, t);
      } catch (e) {
        // Whatever the DVA answered (409 duplicate, 412, 422, 5xx, no FHIR at all): say so, with the trace (issue 11 item 4).
        if (!(e instanceof DvaError)) throw e;
        return page(request, "Patiënt niet toegevoegd", `De DVA heeft ${values.voornaam} ${values.achternaam} niet geregistreerd. ${e.message}`, 502, undefined, t.traceId);
      }
      return redirectAfterPost(request, `/patienten/${encodeURIComponent(added.id)}${added.created ? "?toegevoegd" : "?bestaat"}`);
    }))
    .get("/patienten/lijst", ({ request }) => withDva(request, async (c, t) =>
      htmlResponse(PatientRows(await portalOf(c).patients((new URL(request.url).searchParams.get("q") ?? "").slice(0, 100), t)))))
    .get("/patienten/:id", ({ request, params }) => withDva(request, (c, t) => {
      const url = new URL(request.url);
      const made = Number(url.searchParams.get("klaargezet") ?? "0");
      const notice = made > 0 ? `${made === 1 ? "De taak is" : `${made} taken zijn`} klaargezet${url.searchParams.has("uitnodiging") ? " en de uitnodiging is verstuurd (zie het postvak in de cockpit)" : ""}.`
        : url.searchParams.has("uitnodiging") ? "De uitnodiging is verstuurd (zie het postvak in de cockpit)."
        : url.searchParams.has("geannuleerd") ? "De taak is geannuleerd; de patiënt ziet de reden in de PGO."
        : url.searchParams.has("toegevoegd") ? "De patiënt is toegevoegd bij de DVA. Met dit BSN logt de persoon in bij de DigiD-simulator."
        : url.searchParams.has("bestaat") ? "Deze patiënt stond al bij de DVA (zelfde BSN); hier is die." : undefined;
      return patientPage(request, c, t, params.id, { notice });
    }))
    .get("/patienten/:id/taken", ({ request, params }) => withDva(request, async (c, t) =>
      htmlResponse(TaskTable({ patientId: params.id, tasks: await portalOf(c).tasks(params.id, t), csrfToken: ctx.csrf.grant(request).token }))))
    .post("/patienten/:id/taken", ({ request, params }) => withDva(request, async (c, t) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return page(request, "Formulier verlopen", "Laad de pagina opnieuw en probeer het nog eens.", 403);
      const values: AssignValues = { module: form.module, instructie: form.instructie, start: form.start, eind: form.eind, herhalen: form.herhalen,
        aantal: form.aantal, plan: form.plan, mail: form.mail === "ja" ? "ja" : "nee",
        aanvraag: /^[A-Za-z0-9_-]{8,32}$/.test(form.aanvraag ?? "") ? form.aanvraag : randomToken(12) };
      const portal = portalOf(c);
      const catalogue = await portal.catalogue(t);
      const errors: Record<string, string> = {};
      const entry = catalogue.find((m) => m.id === values.module);
      if (!entry) errors.module = "Kies een module uit de lijst.";
      const start = parseDate(values.start);
      const end = parseDate(values.eind);
      if (!start) errors.start = "Vul een geldige startdatum in.";
      if (!end) errors.eind = "Vul een geldige einddatum in.";
      else if (start && end.getTime() < start.getTime()) errors.eind = "De einddatum ligt voor de startdatum.";
      const times = values.herhalen === "week" ? Number(values.aantal) : 1;
      if (!Number.isInteger(times) || times < 1 || times > 12) errors.aantal = "Kies 1 tot 12 keer.";
      if ((values.instructie ?? "").length > 1000) errors.module = "De instructie is te lang (maximaal 1000 tekens).";
      if (Object.keys(errors).length) return patientPage(request, c, t, params.id, { errors, values, status: 422 });
      const { tasks: created, fresh, patient } = await portal.assign({ patientId: params.id, activityId: entry!.id, instruction: (values.instructie ?? "").trim(), start: start!,
        end: endOfDay(end!), times, planLabel: (values.plan ?? "").trim() || entry!.title, request: values.aanvraag! }, new Date(), t);
      if (values.mail === "ja" && fresh) await sendInvitation(c, patient, [times > 1 ? `${entry!.title} (${times} keer, elke week)` : entry!.title], t);
      return redirectAfterPost(request, `/patienten/${encodeURIComponent(params.id)}?klaargezet=${created.length}${values.mail === "ja" ? "&uitnodiging" : ""}`);
    }))
    .post("/patienten/:id/uitnodiging", ({ request, params }) => withDva(request, async (c, t) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return page(request, "Formulier verlopen", "Laad de pagina opnieuw en probeer het nog eens.", 403);
      const portal = portalOf(c);
      const patient = await portal.patient(params.id, t);
      if (!patient) return page(request, "Patiënt niet gevonden", "Deze patiënt bestaat niet bij de DVA van uw organisatie.", 404);
      const open = (await portal.tasks(params.id, t)).filter((task) => task.cancellable).map((task) => task.title);
      await sendInvitation(c, patient, [...new Set(open)], t);
      return redirectAfterPost(request, `/patienten/${encodeURIComponent(params.id)}?uitnodiging`);
    }))
    .post("/taken/:id/annuleren", ({ request, params }) => withDva(request, async (c, t) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return page(request, "Formulier verlopen", "Laad de pagina opnieuw en probeer het nog eens.", 403);
      const reason = (form.reden ?? "").trim();
      const patient = /^[A-Za-z0-9.-]{1,64}$/.test(form.patient ?? "") ? form.patient! : null;
      if (!reason || reason.length > 500) {
        return page(request, "Reden ontbreekt", "Vul een reden in (maximaal 500 tekens): de patiënt ziet die in de PGO.", 422,
          patient ? { href: `/patienten/${encodeURIComponent(patient)}`, label: "Terug naar de patiënt" } : undefined);
      }
      const task = await portalOf(c).cancel(params.id, reason, t);
      const of = ((task.for as { reference?: string } | undefined)?.reference ?? "").replace(/^Patient\//, "");
      return redirectAfterPost(request, `/patienten/${encodeURIComponent(of || patient || "")}?geannuleerd`);
    }))
    .get("/taken/:id/resultaat", ({ request, params }) => withDva(request, async (c, t) => {
      const portal = portalOf(c);
      const result = await portal.result(params.id, t);
      if (!result) return page(request, "Taak niet gevonden", "Deze taak bestaat niet bij de DVA van uw organisatie.", 404);
      const patient = await portal.patient(result.patientId, t);
      const csrf = ctx.csrf.grant(request);
      return htmlResponse(ResultPage({ theme, who: who(c, csrf.token), patientId: result.patientId, patientName: patient ? patientName(patient) : result.patientId,
        task: result.task, questionnaireTitle: (result.questionnaire?.title as string | undefined) ?? null,
        answers: answersOf(result.questionnaire, result.response), series: result.series }), { setCookies: [csrf.setCookie] });
    }));
}

/** yyyy-mm-dd of an instant in Amsterdam. */
function isoDate(d: Date): string {
  return localDateTime(d).slice(0, 10);
}

/** The last millisecond of the Amsterdam day that starts at `start` (days are 23 to 25 hours). */
function endOfDay(start: Date): Date {
  return new Date(parseDate(isoDate(new Date(start.getTime() + 36 * 3_600_000)))!.getTime() - 1);
}

/** The start of a yyyy-mm-dd day in Amsterdam (the clinician's calendar), or null. */
function parseDate(value: string | undefined): Date | null {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const noon = new Date(`${value}T12:00:00Z`);
  if (Number.isNaN(noon.getTime()) || noon.toISOString().slice(0, 10) !== value) return null;
  return new Date(`${value}T00:00:00${amsterdamOffset(noon)}`);
}

