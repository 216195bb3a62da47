/** How the demo talks: step names a newcomer can read, and a little emphasis on a terminal. */
const tty = process.stdout.isTTY === true;
const wrap = (code: string) => (text: string) => (tty ? `\u001b[${code}m${text}\u001b[0m` : text);

export const bold = wrap("1");
export const dim = wrap("2");
export const red = wrap("31");
export const green = wrap("32");
export const yellow = wrap("33");

/** The workflow's steps by their function name (the `reprise:func` tag of their promises). */
export const STEP_LABELS: Record<string, string> = {
  generateGuid: "step 1  generate the account id",
  sqCreateAccount: "step 2  write the System of Reference (SQLite: uuid → id)",
  tbCreateAccount: "step 3  write the System of Record (the ledger)",
};

/** Which step a client call belongs to, from the `CALL <client>.<method>` lines the example prints. */
export const STEP_OF_CALL: Record<string, string> = {
  "sor.createAccount": "sqCreateAccount",
  "ledger.createAccount": "tbCreateAccount",
};

export function say(line = ""): void {
  process.stdout.write(`${line}\n`);
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function short(value: string): string {
  return value.length > 16 ? `${value.slice(0, 8)}…${value.slice(-4)}` : value;
}
