// `make demo-node`: mint a session token from Node against the emulator, then show the
// typed error for an unknown linked account. REFOLD_API_KEY and REFOLD_BASE_URL come from
// scripts/with-emulator.sh; the client reads them itself.
const Refold = require('refold-session');

async function main() {
  const refold = new Refold();
  console.log(`== node ${process.version}: new Refold() -> ${refold.endpoint}`);

  console.log("== await refold.getTokenForLinkedAccount('demo-user')");
  const session = await refold.getTokenForLinkedAccount('demo-user');
  console.log(session); // util.inspect shows the token redacted
  const claims = JSON.parse(Buffer.from(session.token.split('.')[1], 'base64url').toString());
  console.log('   claims:', claims);
  console.log('   JSON for the front end has keys:', Object.keys(JSON.parse(JSON.stringify(session))).join(', '));

  console.log("== @cobaltio/cobalt style: new Cobalt({ apiKey, server_url }).getTokenForLinkedAccount({ linked_account_id })");
  const { Cobalt } = Refold;
  const client = new Cobalt({ apiKey: process.env.REFOLD_API_KEY, server_url: process.env.REFOLD_BASE_URL });
  const data = await client.getTokenForLinkedAccount({ linked_account_id: 'demo-user' });
  console.log(`   data.token starts ${data.token.slice(0, 12)}…`);

  console.log("== await refold.getTokenForLinkedAccount('no-such-user')");
  try {
    await refold.getTokenForLinkedAccount('no-such-user');
    throw new Error('expected an InvalidLinkedAccountError');
  } catch (error) {
    if (!(error instanceof Refold.InvalidLinkedAccountError)) throw error;
    console.log(`   ${error.name} (code ${error.code}, status ${error.status}, attempts ${error.attempts}, requestId ${error.requestId})`);
    console.log(`   ${error.message}`);
  }

  console.log("== await refold.getTokenForLinkedAccount(42)");
  const rejected = await refold.getTokenForLinkedAccount(42).catch((error) => error);
  console.log(`   ${rejected.name}: ${rejected.message}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
