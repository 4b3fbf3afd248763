// `make demo-node`: Refold's whole server-side flow from Node against the emulator: upsert the
// end-user's linked account, mint its session token (with the cache on, a second call is a
// hit), list the accounts, delete the account, then the typed error of the next mint.
// REFOLD_API_KEY and REFOLD_BASE_URL come from scripts/with-emulator.sh; the client reads them.
const Refold = require('refold-session');

const USER = 'demo-node-user';

async function main() {
  const refold = new Refold({ cache: true });
  console.log(`== node ${process.version}: new Refold({ cache: true }) -> ${refold.endpoint}`);

  console.log(`1. await refold.upsertLinkedAccount({ linked_account_id: '${USER}', name, udf })`);
  const account = await refold.upsertLinkedAccount({
    linked_account_id: USER,
    name: 'Demo User',
    udf: { plan: 'pro', seats: 3 },
  });
  console.log(account);

  console.log(`2. await refold.getTokenForLinkedAccount('${USER}')`);
  const session = await refold.getTokenForLinkedAccount(USER);
  console.log(session); // util.inspect shows the token redacted
  const claims = JSON.parse(Buffer.from(session.token.split('.')[1], 'base64url').toString());
  console.log('   claims:', claims);
  console.log('   JSON for the front end has keys:', Object.keys(JSON.parse(JSON.stringify(session))).join(', '));
  const again = await refold.getTokenForLinkedAccount(USER);
  console.log(`   again -> the same token from the cache: ${again.token === session.token}`);
  console.log('   await refold.cacheStats() ->', await refold.cacheStats());

  console.log('3. for await (const account of refold.linkedAccounts({ limit: 10 }))');
  for await (const each of refold.linkedAccounts({ limit: 10 })) {
    console.log(`   ${each.accountId}${each.name ? ` (${each.name})` : ''}`);
  }

  console.log(`4. await refold.deleteLinkedAccount('${USER}') (drops its cached token too)`);
  console.log('  ', await refold.deleteLinkedAccount(USER));

  console.log(`5. await refold.getTokenForLinkedAccount('${USER}')`);
  try {
    await refold.getTokenForLinkedAccount(USER);
    throw new Error('expected an InvalidLinkedAccountError');
  } catch (error) {
    if (!(error instanceof Refold.InvalidLinkedAccountError)) throw error;
    console.log(`   ${error.name} (code ${error.code}, status ${error.status}, attempts ${error.attempts}, requestId ${error.requestId})`);
    console.log(`   ${error.message}`);
  }

  console.log("== @cobaltio/cobalt style: new Cobalt({ apiKey, server_url }).getTokenForLinkedAccount({ linked_account_id })");
  const { Cobalt } = Refold;
  const client = new Cobalt({ apiKey: process.env.REFOLD_API_KEY, server_url: process.env.REFOLD_BASE_URL });
  const data = await client.getTokenForLinkedAccount({ linked_account_id: 'demo-user' });
  console.log(`   data.token starts ${data.token.slice(0, 12)}…`);

  console.log('== await refold.getTokenForLinkedAccount(42)');
  const rejected = await refold.getTokenForLinkedAccount(42).catch((error) => error);
  console.log(`   ${rejected.name}: ${rejected.message}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
