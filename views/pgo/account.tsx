import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";

export interface AccountPageProps { theme: Theme; csrfToken: string; next: string; errors?: Record<string, string>; values?: Record<string, string> }

/** Create an account (AM-FE-016). */
export function AccountPage(p: AccountPageProps): JSX.Element {
  const e = p.errors ?? {};
  const v = p.values ?? {};
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
      <form method="post" action="/account" class="card">
        <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
        <input type="hidden" name="next" value={p.next} />
        {field("name", "Uw naam", "text", "name")}
        {field("username", "Gebruikersnaam", "text", "username")}
        {field("password", "Wachtwoord", "password", "new-password")}
        {field("password2", "Wachtwoord herhalen", "password", "new-password")}
        <div class="actions"><button type="submit">Account aanmaken</button></div>
      </form>
      <p>Al een account? <a href={`/login?next=${encodeURIComponent(p.next)}`}>Inloggen</a></p>
    </Layout>
  );
}

export function LogoutButton({ csrfToken }: { csrfToken: string }): JSX.Element {
  return (
    <form method="post" action="/logout">
      <input type="hidden" name={CSRF_FIELD} value={csrfToken} />
      <button type="submit" class="secondary">Uitloggen</button>
    </form>
  );
}
