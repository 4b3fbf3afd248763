// Type test of api.generated.d.ts (compiled by tsc --noEmit in `make test-node`): the generated
// methods take their operation's typed object and resolve to its typed answer; misuse fails.
import Refold = require('../../index.js');
import type { PaginatedLinkedAccounts, LinkedAccount, RefoldWebhook } from '../../models.generated';

declare const client: Refold;

async function typed(): Promise<void> {
  const page: PaginatedLinkedAccounts = await client.api.listLinkedAccounts({ page: 1, limit: 10 });
  for await (const account of client.api.listLinkedAccountsAll({ limit: 100 })) {
    const one: LinkedAccount = account;
    void one;
  }
  const records = await client.api.getPersistentTableRecords({ tableId: 't1', linkedAccountId: 'u1', page: 2 });
  const hook: RefoldWebhook = await client.api.registerWebhook({ body: { webhook_url: 'https://example.com/h', webhook_events: ['Connection Created'] } });
  await client.api.triggerEvent({
    body: { event: 'file_uploaded' },
    linkedAccountId: 'u1',
    files: [{ field: 'file', filename: 'a.txt', contentType: 'text/plain', data: Buffer.from('hi') }],
  });
  await client.api.listWebhooks(undefined, { timeout: 5, maxRetries: 0 });
  const scoped: Refold.ScopedClient = client.forLinkedAccount('u1');
  await scoped.api.listExecutions({ page: 1 });
  const session = client.forSessionToken('token');
  const generic: unknown = await session.call('getLinkedAccountBySessionToken');
  const pageOf: Refold.ApiPage = await client.callPage('listWebhooks');
  const id: Refold.OperationId = 'listWebhooks';
  // The official SDK's calls, with its argument shapes.
  await client.getApplications('u1');
  await client.executeWorkflow('w1', 'hubspot', 'u1', true, { a: 1 });
  await client.config({ linked_account_id: 'u1', slug: 'hubspot' });
  await client.getExecutions('u1', { page: 1, limit: 5 });
  void [page, records, hook, generic, pageOf, id];

  // @ts-expect-error: getPersistentTableRecords needs its table
  await client.api.getPersistentTableRecords({ page: 1 });
  // @ts-expect-error: page is a number
  await client.api.listLinkedAccounts({ page: '1' });
  // @ts-expect-error: listWebhooks takes no body
  await client.api.listWebhooks({ body: { a: 1 } });
  // @ts-expect-error: listLinkedAccounts takes no linked account
  await client.api.listLinkedAccounts({ linkedAccountId: 'u1' });
  // @ts-expect-error: files go only where the operation takes multipart
  await client.api.registerWebhook({ body: { webhook_url: 'x', webhook_events: [] }, files: [] });
  // @ts-expect-error: no such operation method
  await client.api.noSuchOperation();
  // @ts-expect-error: getApplications takes the id as a string
  await client.getApplications({ linked_account_id: 'u1' });
}

export { typed };
