// Type test of models.generated.d.ts (compiled by tsc --noEmit in `make test-node`): the
// generated models accept the documented JSON and reject misuse.
import type {
  AddRecordsRequest,
  Environment,
  ExecuteWorkflowParams,
  LinkedAccount,
  ListLinkedAccountsParams,
  PaginatedLinkedAccounts,
  RegisterScheduleRequest,
} from '../../models.generated';

const page: PaginatedLinkedAccounts = {
  docs: [{ _id: 'a1', account_id: 'user_12345', environment: 'test', udf: [], integrations: [{ type: 'hubspot', app_id: null }] }],
  totalDocs: 32,
  hasNextPage: true,
  nextPage: 2,
  prevPage: null,
};
const first: LinkedAccount | undefined = page.docs?.[0];
// Enums admit values the description does not list.
const future: Environment = 'staging';
const params: ListLinkedAccountsParams = { page: 1, limit: 10 };
const execute: ExecuteWorkflowParams = { workflowId: 'w1', slug: 'hubspot', 'include-headers_in_query': 'true' };
const schedule: RegisterScheduleRequest = { trigger_type: 'cron', regex: '0 9 * * 1', tz: 'UTC' };
const one: AddRecordsRequest = { data: { email: 'a@example.com' } };
const many: AddRecordsRequest = { data: [{ email: 'a@example.com' }] };

// @ts-expect-error: the trigger type is required
const noTrigger: RegisterScheduleRequest = { regex: '0 9 * * 1' };
// @ts-expect-error: page is a number
const wrongPage: ListLinkedAccountsParams = { page: '1' };
// @ts-expect-error: no such field (LinkedAccount is not open-ended)
const typo: LinkedAccount = { acount_id: 'x' };

export { first, future, params, execute, schedule, one, many, noTrigger, wrongPage, typo };
