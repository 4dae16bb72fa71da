import { CSRF_FIELD } from "../../src/shared/csrf.ts";
import { Layout } from "../layout.tsx";
import type { Theme } from "../theme.ts";

export interface LoginPageProps { theme: Theme; csrfToken: string; next: string; error?: string; username?: string }

/** Log in (SPEC §12 names: "Gebruikersnaam", "Wachtwoord", "Inloggen", "Account aanmaken"). */
export function LoginPage(p: LoginPageProps): JSX.Element {
  return (
    <Layout theme={p.theme} title="Inloggen">
      <h1>Inloggen</h1>
      {p.error ? <div class="error" role="alert" id="login-error"><p safe>{p.error}</p></div> : ""}
      <form method="post" action="/login" class="card">
        <input type="hidden" name={CSRF_FIELD} value={p.csrfToken} />
        <input type="hidden" name="next" value={p.next} />
        <label for="username">Gebruikersnaam</label>
        <input type="text" id="username" name="username" autocomplete="username" required value={p.username ?? ""} />
        <label for="password">Wachtwoord</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <div class="actions"><button type="submit">Inloggen</button></div>
      </form>
      <p>Nog geen account? <a href={`/account?next=${encodeURIComponent(p.next)}`}>Account aanmaken</a></p>
    </Layout>
  );
}

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
