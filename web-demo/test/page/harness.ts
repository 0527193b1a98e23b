// What every browser test page shares: assertions, and the entry point test/browser-clients.mjs drives
// (window.__portico: the case names and run(name, target), each case bounded in time).

import { ConnectError } from "@connectrpc/connect";

export const CASE_TIMEOUT_MS = 10_000;

export class AssertionFailed extends Error {}

export function check(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new AssertionFailed(msg);
}

export function eq<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) {
    throw new AssertionFailed(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

export function show(v: unknown): string {
  if (v instanceof Uint8Array) return `bytes[${v.length}]`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Awaits `p`, expecting it to reject with a ConnectError; returns it. */
export async function expectConnectError(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    check(e instanceof ConnectError, `expected a ConnectError, got ${e instanceof Error ? e.message : String(e)}`);
    return e;
  }
  throw new AssertionFailed("call succeeded, expected an error");
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface CaseResult {
  ok: boolean;
  reason?: string;
  ms: number;
}

type Run = (name: string, target: string) => Promise<CaseResult>;

declare global {
  interface Window {
    __portico?: { cases: string[]; run: Run };
  }
}

/**
 * Publishes `cases` to the runner. A case passes when it resolves, and fails with the first failed assertion,
 * any other error (described by `describeError`) or after CASE_TIMEOUT_MS.
 */
export function serveCases(cases: Record<string, (target: string) => Promise<void>>,
                           describeError: (e: unknown) => string): void {
  const run: Run = async (name, target) => {
    const start = performance.now();
    const fn = cases[name];
    if (!fn) return { ok: false, reason: `unknown case (known: ${Object.keys(cases).join(", ")})`, ms: 0 };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AssertionFailed(`timed out after ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
    });
    try {
      await Promise.race([fn(target.replace(/\/+$/, "")), timeout]);
      return { ok: true, ms: performance.now() - start };
    } catch (e) {
      const reason = e instanceof AssertionFailed ? e.message : `unexpected ${describeError(e)}`;
      return { ok: false, reason, ms: performance.now() - start };
    } finally {
      clearTimeout(timer);
    }
  };
  window.__portico = { cases: Object.keys(cases), run };
}
