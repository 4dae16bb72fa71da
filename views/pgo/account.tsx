import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";

export interface AccountPageProps { theme: Theme; csrfToken: string; next: string; errors?: Record<string, string>; values?: Record<string, string>;
  /** Above the form: the invitation this account is for, or who is logged in already. */
  notice?: JSX.Element }

/** Create an account (AM-FE-016). */
export function AccountPage(p: AccountPageProps): JSX.Element {
  const e = p.errors ?? {};
  const v = p.values ?? {};
  const notice = p.notice;
  const field = (name: string, label: string, type: string, autocomplete: string) => (
    <div>
      <label for={name} safe>{label}</label>
      <input type={type} id={name} name={name} autocomplete={autocomplete} required value={type === "password" ? "" : (v[name] ?? "")}
        aria-invalid={e[name] ? "true" : "false"} aria-describedby={e[name] ? `${name}-error` : undefined} />
      {e[name] ? <p class="field-error" id={`${name}-error`} safe>{e[name]}</p> : ""}
    </div>
  );
  return (
    <Layout theme={p.theme} title="Account aanmaken">
      <h1>Account aanmaken</h1>
      {notice ? <div class="page-notice">{notice}</div> : ""}
      <form method="post" action="/account" class="card">
        <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
        <input type="hidden" name="next" value={p.next} />
        {field("name", "Je naam", "text", "name")}
        {field("username", "Gebruikersnaam", "text", "username")}
        {field("password", "Wachtwoord", "password", "new-password")}
        {field("password2", "Wachtwoord herhalen", "password", "new-password")}
        <p class="hint">Wat deze PGO van je bewaart staat in de <a href="/privacy">privacyverklaring</a>.</p>
        <div class="actions"><button type="submit">Account aanmaken</button></div>
      </form>
      <p>Al een account? <a href={`/login?next=${encodeURIComponent(p.next)}`}>Inloggen</a></p>
    </Layout>
  );
}

/** "Uitloggen"; with `next`, the login page afterwards leads back there (an invitation for someone else). */
export function LogoutButton({ csrfToken, next }: { csrfToken: string; next?: string }): JSX.Element {
  return (
    <form method="post" action="/logout" class="inline">
      <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
      {next ? <input type="hidden" name="next" value={next} /> : ""}
      <button type="submit" class="secondary">Uitloggen</button>
    </form>
  );
}

/**
 * Who this session belongs to, with the way out (issue 12 §3): an invitation link opened on a
 * shared computer must not land unnoticed in someone else's PGO.
 */
export function SignedInAs({ name, csrfToken, next }: { name: string; csrfToken: string; next?: string }): JSX.Element {
  return (
    <div class="notice signed-in" role="note">
      <span>Ingelogd als <strong safe>{name}</strong> — niet jij?</span> <LogoutButton csrfToken={csrfToken} next={next} />
    </div>
  );
}

/** On the login and account pages when the person comes from an invitation link (AM-FE-014/017). */
export function InvitationNotice({ providerName, pgoName }: { providerName: string; pgoName: string }): JSX.Element {
  return (
    <div class="notice invitation" role="note">
      <p><strong safe>{`Uitnodiging van ${providerName}`}</strong></p>
      <p safe>{`Log in bij ${pgoName} of maak een account aan. Daarna verbind je ${pgoName} met ${providerName} en zie je de taken die voor jou zijn klaargezet.`}</p>
    </div>
  );
}
