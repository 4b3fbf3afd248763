// The ESM entry's types (`import` condition → index.d.mts): `tsc --noEmit --strict` checks it.
import Refold, { InvalidLinkedAccountError, LinkedAccount, RefoldError, type SessionToken } from 'refold-session';

const refold = new Refold({ apiKey: 'key', baseUrl: 'http://127.0.0.1:8787' });

export async function mint(id: string): Promise<Date | null> {
  try {
    const session: SessionToken = await refold.getTokenForLinkedAccount({ linked_account_id: id });
    return session.issuedAt ?? session.expiresAt;
  } catch (error) {
    if (error instanceof InvalidLinkedAccountError) return null;
    if (error instanceof RefoldError) {
      const status: number | null = error.status;
      console.error(error.code, status);
      return null;
    }
    throw error;
  }
}

export async function names(): Promise<string[]> {
  const names: string[] = [];
  for await (const account of refold.linkedAccounts()) {
    if (account instanceof LinkedAccount && account.name !== null) names.push(account.name);
  }
  return names;
}
