// The same types through `require` (CommonJS consumers): `tsc --noEmit --strict` checks it.
import Refold = require('refold-session');

const refold = new Refold({ apiKey: 'key', baseUrl: 'http://127.0.0.1:8787' });

export async function mint(id: string): Promise<string | undefined> {
  try {
    const session: Refold.SessionToken = await refold.getTokenForLinkedAccount(id);
    return session.token;
  } catch (error) {
    if (error instanceof Refold.InvalidLinkedAccountError) return undefined;
    if (error instanceof Refold.RefoldError) {
      const attempts: number = error.attempts;
      console.error(error.code, attempts);
      return undefined;
    }
    throw error;
  }
}
