/**
 * SMART App Launch resource scopes, v1 and v2, as one permission check.
 * @see https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html
 *
 * v1: `<context>/<Type>.read` (read + search), `.write` (create, update, delete), `.*` (all).
 * v2: `<context>/<Type>.<cruds>`: any of c r u d s, in that order (`.rs`, `.cu`, `.cruds`).
 * A v2 query restriction (`patient/Observation.rs?category=laboratory`) is accepted; the sandbox
 * does not evaluate it (its DVA serves no resource type where it would narrow anything) and
 * applies the scope without it — README "Scopes".
 */

export type Interaction = "c" | "r" | "u" | "d" | "s";
export type ScopeContext = "patient" | "user" | "system";

export interface ResourceScope { context: ScopeContext; type: string; permissions: ReadonlySet<Interaction>; restricted: boolean }

const V1: Record<string, Interaction[]> = { read: ["r", "s"], write: ["c", "u", "d"], "*": ["c", "r", "u", "d", "s"] };

/** A resource scope, or null for anything else (`launch`, `openid`, a typo). */
export function parseResourceScope(scope: string): ResourceScope | null {
  const m = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.([a-z*]+)(\?.*)?$/.exec(scope);
  if (!m) return null;
  const [, context, type, action, query] = m as unknown as [string, ScopeContext, string, string, string | undefined];
  let permissions: Interaction[] | undefined = V1[action];
  if (!permissions) {
    if (!/^c?r?u?d?s?$/.test(action) || action === "") return null;
    permissions = [...action] as Interaction[];
  }
  // v1 has no query restrictions; `patient/Task.read?x=y` is not a scope.
  if (query && V1[action]) return null;
  return { context, type, permissions: new Set(permissions), restricted: !!query };
}

/** Does any of these scopes allow this interaction on this type in this context? */
export function permits(scopes: readonly string[], context: ScopeContext, type: string, interaction: Interaction): boolean {
  return scopes.some((s) => {
    const parsed = parseResourceScope(s);
    return !!parsed && parsed.context === context && (parsed.type === "*" || parsed.type === type) && parsed.permissions.has(interaction);
  });
}

/** Words of an OAuth scope string (RFC 6749 §3.3), without duplicates. */
export function scopeWords(scope: string | null | undefined): string[] {
  return [...new Set((scope ?? "").split(" ").filter(Boolean))];
}
