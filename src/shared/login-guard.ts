/**
 * Password logins that give a hostile browser nothing to learn (issue 10), shared by the PGO and
 * the clinician portal:
 * - the same work for an unknown username as for a wrong password: both verify a hash of the same
 *   cost (`createPasswordCheck`: an unknown one against a dummy hash made once);
 * - back-off per account: after 5 failures within 15 minutes for one username — known or not, so a
 *   lock says nothing about whether it exists — further attempts are refused with 429 for 30 s,
 *   doubling with each further failure up to 15 minutes, without checking the password; a correct
 *   login resets the count (OWASP Authentication Cheat Sheet, "Login throttling").
 * Counts live in memory: a restart forgets them, and one process serves the whole network.
 */

export type PasswordCost = Bun.Password.Argon2Algorithm;

/** OWASP Password Storage Cheat Sheet's argon2id minimum (19 MiB, 2 passes). */
export const PASSWORD_COST: PasswordCost = { algorithm: "argon2id", memoryCost: 19456, timeCost: 2 };

export interface LoginGuardOptions {
  maxFailures?: number;
  windowMs?: number;
  firstLockMs?: number;
  maxLockMs?: number;
  /** Most accounts tracked at once; beyond it the oldest unlocked entries go (a flood of made-up names), never a lock while there are others. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry { failures: number[]; lockedUntil: number; locks: number }

export interface LoginGuard {
  /**
   * Before checking a password: the seconds `username` must wait (refuse; nothing is counted), or
   * 0 — then this attempt already counts as a failure, so parallel guesses cannot slip past the
   * lock while their hashes are being verified; `succeeded` takes it back.
   */
  attempt(username: string): number;
  /** The password was right: forget this username's failures. */
  succeeded(username: string): void;
}

/** One guard per actor app (`actor` names it in the key: actor + lower-cased username). */
export function createLoginGuard(actor: string, options: LoginGuardOptions = {}): LoginGuard {
  const { maxFailures = 5, windowMs = 15 * 60_000, firstLockMs = 30_000, maxLockMs = 15 * 60_000, maxEntries = 10_000, now = Date.now } = options;
  const entries = new Map<string, Entry>();
  const keyOf = (username: string) => `${actor}\n${username.trim().toLowerCase()}`;

  /** The entry with failures older than the window dropped; gone once nothing recent is left. */
  function current(key: string, at: number): Entry | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    while (entry.failures.length && entry.failures[0]! <= at - windowMs) entry.failures.shift();
    if (entry.failures.length === 0 && entry.lockedUntil <= at) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /**
   * Room for one more name. Unlocked names go first, oldest first: a flood of made-up names must
   * not wash out a lock. Only when every tracked name is locked does the lock that ends soonest go
   * (filling the table with locks costs an attacker maxEntries × maxFailures password checks).
   */
  function makeRoom(at: number): void {
    if (entries.size < maxEntries) return;
    for (const key of entries.keys()) current(key, at);
    for (const [key, entry] of entries) {
      if (entries.size < maxEntries) return;
      if (entry.lockedUntil <= at) entries.delete(key);
    }
    while (entries.size >= maxEntries) {
      let soonest: string | undefined;
      for (const [key, entry] of entries) if (soonest === undefined || entry.lockedUntil < entries.get(soonest)!.lockedUntil) soonest = key;
      entries.delete(soonest!);
    }
  }

  return {
    attempt(username) {
      const at = now();
      const key = keyOf(username);
      let entry = current(key, at);
      if (entry && entry.lockedUntil > at) return Math.ceil((entry.lockedUntil - at) / 1000);
      if (!entry) {
        makeRoom(at);
        entries.set(key, entry = { failures: [], lockedUntil: 0, locks: 0 });
      }
      entry.failures.push(at);
      if (entry.failures.length > maxFailures) entry.failures.shift();
      if (entry.failures.length >= maxFailures) {
        entry.lockedUntil = at + Math.min(firstLockMs * 2 ** entry.locks, maxLockMs);
        entry.locks++;
      }
      return 0;
    },
    succeeded(username) {
      entries.delete(keyOf(username));
    },
  };
}

export interface PasswordCheck {
  hash(password: string): Promise<string>;
  /**
   * `Bun.password.verify` against the account's hash or, for an unknown username (null), against
   * a dummy hash of the same cost — false then. Both await the dummy first (made once, on the
   * first attempt of either kind), so both paths do the same work every time.
   */
  verify(password: string, hash: string | null | undefined): Promise<boolean>;
}

/** `cost` must be the one the accounts' hashes were made with. */
export function createPasswordCheck(cost: PasswordCost = PASSWORD_COST): PasswordCheck {
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => Bun.password.hash(password, cost),
    async verify(password, hash) {
      const fallback = await (dummy ??= Bun.password.hash(crypto.randomUUID(), cost));
      const ok = await Bun.password.verify(password, hash || fallback);
      return Boolean(hash) && ok;
    },
  };
}

/** "30 seconden", "2 minuten": the wait in the message, rounded up. */
export function waitText(seconds: number): string {
  return seconds < 120 ? `${seconds} seconden` : `${Math.ceil(seconds / 60)} minuten`;
}

export const tooManyAttempts = (seconds: number) =>
  `Te veel mislukte pogingen. Probeer het over ${waitText(seconds)} opnieuw.`;
