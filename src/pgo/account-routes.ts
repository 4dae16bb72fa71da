/**
 * PGO accounts (AM-FE-016): log in, create an account, log out. CSRF on every form; the session
 * cookie is HttpOnly and SameSite=Lax; after login the person goes back to `next` (same host only).
 * Login takes as long for an unknown username as for a wrong password, and backs off per username
 * after repeated failures (shared/login-guard.ts).
 */
import { Elysia } from "elysia";
import type { SandboxContext } from "../shared/context.ts";
import { clearCookie, readCookie } from "../shared/cookies.ts";
import { CSRF_FIELD } from "../shared/csrf.ts";
import { htmlResponse, readForm, redirectAfterPost, safeNext } from "../shared/html.ts";
import { createLoginGuard, createPasswordCheck, tooManyAttempts } from "../shared/login-guard.ts";
import type { ResolvedPgo } from "../shared/resolved-network.ts";
import { AccountPage, InvitationNotice, SignedInAs } from "../../views/pgo/account.tsx";
import { LoginPage } from "../../views/components/login.tsx";
import type { Theme } from "../../views/theme.ts";
import { PASSWORD_OPTIONS, type PgoStore } from "./store.ts";

export const PGO_SESSION_COOKIE = "pgo_session";
export const PGO_SESSION_TTL_MS = 8 * 60 * 60_000;
const TAKEN = "Deze gebruikersnaam is al in gebruik.";

export interface AccountDeps {
  ctx: SandboxContext;
  pgo: ResolvedPgo;
  theme: Theme;
  store: PgoStore;
  expired(request: Request): Promise<Response>;
  startSession(accountId: string): string;
  /** The account of this request's session, if any. */
  accountOf(request: Request): { displayName: string } | null;
}

/** The zorgaanbieder an invitation link names (`/verbind?zorgaanbieder=…` as `next`), by display name; null for anything else. */
export function invitationOf(ctx: SandboxContext, next: string): string | null {
  let url: URL;
  try { url = new URL(next, "http://pgo.invalid"); } catch { return null; }
  if (url.pathname !== "/verbind") return null;
  const name = url.searchParams.get("zorgaanbieder");
  return ctx.network.zorgaanbieders.find((z) => z.name === name)?.displayName ?? null;
}

export function accountRoutes({ ctx, pgo, theme, store, expired, startSession, accountOf }: AccountDeps) {
  const guard = ctx.retained(`pgo:${pgo.clientId}:guard`, () => createLoginGuard(`pgo:${pgo.clientId}`));
  const passwords = createPasswordCheck(PASSWORD_OPTIONS);
  /**
   * Above the login and account forms (issue 12 §3): who is logged in already (with "Uitloggen",
   * which comes back here), or else the invitation the person is following.
   */
  const notice = (request: Request, csrfToken: string, next: string) => {
    const account = accountOf(request);
    if (account) return SignedInAs({ name: account.displayName, csrfToken, next: `${new URL(request.url).pathname}?next=${encodeURIComponent(next)}` });
    const provider = invitationOf(ctx, next);
    return provider ? InvitationNotice({ providerName: provider, pgoName: pgo.displayName }) : undefined;
  };
  const loginFailed = (request: Request, next: string, username: string, status: number, error: string, headers?: Record<string, string>) => {
    const csrf = ctx.csrf.grant(request);
    return htmlResponse(LoginPage({ theme, csrfToken: csrf.token, next, username, error, notice: notice(request, csrf.token, next) }), { status, headers });
  };
  return new Elysia({ name: `pgo-accounts:${pgo.clientId}` })
    .get("/login", ({ request }) => {
      const csrf = ctx.csrf.grant(request);
      const next = safeNext(new URL(request.url).searchParams.get("next"));
      return htmlResponse(LoginPage({ theme, csrfToken: csrf.token, next, notice: notice(request, csrf.token, next) }), { setCookies: [csrf.setCookie] });
    })
    .post("/login", async ({ request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return expired(request);
      const next = safeNext(form.next);
      const username = (form.username ?? "").trim().toLowerCase();
      const wait = guard.attempt(username);
      if (wait) return loginFailed(request, next, username, 429, tooManyAttempts(wait), { "Retry-After": String(wait) });
      const found = username ? store.findAccount(pgo.clientId, username) : null;
      const ok = await passwords.verify(form.password ?? "", found?.passwordHash); // also when unknown: same time
      if (!found || !ok) {
        return loginFailed(request, next, username, 401, "Deze combinatie van gebruikersnaam en wachtwoord kennen we niet.");
      }
      guard.succeeded(username);
      return redirectAfterPost(request, next, [startSession(found.id)]);
    })
    .get("/account", ({ request }) => {
      const csrf = ctx.csrf.grant(request);
      const next = safeNext(new URL(request.url).searchParams.get("next"));
      return htmlResponse(AccountPage({ theme, csrfToken: csrf.token, next, notice: notice(request, csrf.token, next) }), { setCookies: [csrf.setCookie] });
    })
    .post("/account", async ({ request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return expired(request);
      const next = safeNext(form.next);
      const values = { name: (form.name ?? "").trim(), username: (form.username ?? "").trim().toLowerCase() };
      const errors: Record<string, string> = {};
      const refuse = () => {
        const csrf = ctx.csrf.grant(request);
        return htmlResponse(AccountPage({ theme, csrfToken: csrf.token, next, errors, values, notice: notice(request, csrf.token, next) }), { status: 422 });
      };
      if (values.name.length < 2 || values.name.length > 100) errors.name = "Vul je naam in (2 tot 100 tekens).";
      if (!/^[a-z0-9._-]{3,40}$/.test(values.username)) errors.username = "Kies een gebruikersnaam van 3 tot 40 tekens: letters, cijfers, punt, streepje of liggend streepje.";
      else if (store.findAccount(pgo.clientId, values.username)) errors.username = TAKEN;
      if ((form.password ?? "").length < 3 || (form.password ?? "").length > 200) errors.password = "Kies een wachtwoord van minstens 3 tekens (dit is een sandbox).";
      else if (form.password !== form.password2) errors.password2 = "De wachtwoorden zijn niet gelijk.";
      if (Object.keys(errors).length) return refuse();
      // The check above spares a hash in the common case; the unique constraint decides between two at once.
      const result = store.registerAccount({ pgo: pgo.clientId, username: values.username, displayName: values.name,
        passwordHash: await passwords.hash(form.password!) });
      if (result.kind === "taken") {
        errors.username = TAKEN;
        return refuse();
      }
      return redirectAfterPost(request, next, [startSession(result.account.id)]);
    })
    .post("/logout", async ({ request }) => {
      const form = await readForm(request);
      if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return expired(request);
      const id = readCookie(request, PGO_SESSION_COOKIE);
      if (id) store.endSession(id);
      // "Niet jij? Uitloggen" on an invitation: the login page that follows leads back to it.
      const next = safeNext(form.next);
      return redirectAfterPost(request, next === "/" ? "/login" : next.startsWith("/login?") || next.startsWith("/account?") ? next : `/login?next=${encodeURIComponent(next)}`,
        [clearCookie(PGO_SESSION_COOKIE)]);
    });
}
