/**
 * Burgerservicenummer: 9 digits (8-digit numbers get a leading zero) that pass the 11-check
 * (elfproef): 9·d1 + 8·d2 + ... + 2·d8 − 1·d9 is a multiple of 11 and not zero.
 */
export function normalizeBsn(input: string): string | null {
  const digits = input.replace(/[\s.-]/g, "");
  if (!/^\d{8,9}$/.test(digits)) return null;
  return digits.padStart(9, "0");
}

export function isValidBsn(input: string): boolean {
  const bsn = normalizeBsn(input);
  if (bsn === null || bsn === "000000000") return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(bsn[i]) * (9 - i);
  sum -= Number(bsn[8]);
  return sum % 11 === 0;
}

/** The n-th valid BSN at or after `start` (synthetic populations for load tests). */
export function* bsnSequence(start = 900000000): Generator<string> {
  for (let n = start; n <= 999999999; n++) {
    const candidate = String(n);
    if (isValidBsn(candidate)) yield candidate;
  }
}
