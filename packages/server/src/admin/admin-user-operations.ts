/**
 * The admin API's operations on local accounts (issue #15: what the console's users page and
 * `gatehouse users` do): list them, and change one (disable or enable it, grant or take back the
 * admin role, set its password). Part of the one operation table (admin-openapi.ts); the handlers
 * call the users service (users/user-admin.ts) the console calls.
 */
import { z } from 'zod';
import type { UserRecord } from '../store/store.ts';
import type { UserAdmin } from '../users/user-admin.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../users/user-admin.ts';
import type { AdminOperation } from './admin-operation.ts';
import { userParameterSchema } from './inventory-schemas.ts';

const timestamp = z.string().meta({ format: 'date-time', description: 'ISO 8601, UTC' });

export const userAccountSchema = z
  .strictObject({
    id: z.string(),
    username: z.string(),
    created_at: timestamp,
    sub: z.string().optional().meta({ description: 'a fixed token subject, when set' }),
    disabled: z.boolean(),
    disabled_at: timestamp.optional(),
    admin: z.boolean().meta({ description: 'may sign in to the admin console' }),
  })
  .meta({ id: 'UserAccount', description: 'a local account (never its password hash)' });

export const usersResponseSchema = z
  .strictObject({ users: z.array(userAccountSchema) })
  .meta({ id: 'UserAccounts' });

export const userChangeRequestSchema = z
  .strictObject({
    disabled: z
      .boolean()
      .optional()
      .meta({ description: 'true: no login, its grants stop working; false: enabled again' }),
    admin: z.boolean().optional().meta({ description: 'grant (true) or take back (false) the admin role' }),
    password: z
      .string()
      .min(MIN_PASSWORD_LENGTH)
      .max(MAX_PASSWORD_LENGTH)
      .optional()
      .meta({ description: 'a new password (never echoed or logged)' }),
  })
  .meta({ id: 'UserChangeRequest' });

export const userChangeSchema = z
  .strictObject({
    user: userAccountSchema,
    changed: z
      .array(z.enum(['disabled', 'admin', 'password']))
      .meta({ description: 'what changed (and was audited)' }),
  })
  .meta({ id: 'UserChange' });

export const USER_OPERATIONS = {
  listUsers: {
    method: 'get',
    path: '/admin/v1/users',
    scope: 'read',
    summary: 'the local accounts: name, id, subject, disabled, admin role',
    answer: usersResponseSchema,
    refusals: [],
  },
  updateUser: {
    method: 'patch',
    path: '/admin/v1/users/{user}',
    scope: 'write',
    summary: 'disable or enable an account, grant or take back its admin role, or set its password',
    description:
      'Each change is audited with the actor and before/after (user.disabled, user.enabled, user.admin_granted, user.admin_revoked, user.password_set). A disabled account keeps its grants, unused until it is enabled.',
    parameters: userParameterSchema,
    body: userChangeRequestSchema,
    answer: userChangeSchema,
    refusals: ['400', '404'],
  },
} as const satisfies Record<string, AdminOperation>;

export function userAccountJson(user: UserRecord): z.output<typeof userAccountSchema> {
  return {
    id: user.id,
    username: user.username,
    created_at: new Date(user.createdAt).toISOString(),
    ...(user.sub === undefined ? {} : { sub: user.sub }),
    disabled: user.disabledAt !== undefined,
    ...(user.disabledAt === undefined ? {} : { disabled_at: new Date(user.disabledAt).toISOString() }),
    admin: user.admin === true,
  };
}

/** The handlers, given how admin-routes reads a body. */
export function userHandlers(
  users: UserAdmin,
  readBody: (request: Request) => Promise<z.output<typeof userChangeRequestSchema>>,
) {
  return {
    listUsers: async () => ({ users: (await users.list()).map(userAccountJson) }),
    updateUser: async ({
      request,
      params,
      actor,
    }: {
      request: Request;
      params: Record<string, string>;
      actor: string;
    }) => {
      const change = await readBody(request);
      const result = await users.update(params.user!, change, { actor });
      return { user: userAccountJson(result.user), changed: result.changed };
    },
  };
}
