import { Command, Option } from 'commander';
import { ApiKeyRepository } from '@mnemo/auth';
import { KEY_ROLES, type KeyRole } from '@mnemo/core';
import { withRedis } from '../redis-session';

const withKeys = <T>(fn: (keys: ApiKeyRepository) => Promise<T>) =>
  withRedis((redis, config) => fn(new ApiKeyRepository(redis, config.MNEMO_QUEUE_PREFIX)));

export function keysCommand(): Command {
  const keys = new Command('keys').description('create, list and revoke API keys (talks to Redis directly)');

  keys
    .command('create')
    .description('create a key and print it once')
    .requiredOption('--user <id>', 'the user the key belongs to')
    .addOption(new Option('--role <role>', 'user: acts for its user; service: may name user_id; admin').choices(KEY_ROLES).default('user'))
    .option('--label <text>', 'a note to recognise the key by', '')
    .option('--json', 'print JSON')
    .action(async (opts: { user: string; role: KeyRole; label: string; json?: boolean }) => {
      const { key, stored, prefix } = await withKeys(async (repo) => ({ ...(await repo.create(opts.user, opts.role, opts.label)), prefix: repo.prefix }));
      if (opts.json) {
        console.log(JSON.stringify({ key, ...stored, queue_prefix: prefix }));
        return;
      }
      console.log(key);
      // A key works only on servers with the same prefix: the most common reason a new key gets 401.
      console.error(`key ${stored.key_id} for user "${stored.user_id}" (${stored.role}) under MNEMO_QUEUE_PREFIX "${prefix}". Shown once: store it now.`);
    });

  keys
    .command('list')
    .description('list keys (ids only; keys are stored hashed)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await withKeys((repo) => repo.list());
      if (opts.json) return console.log(JSON.stringify(list, null, 2));
      if (list.length === 0) return console.log('no keys');
      console.table(list.map((k) => ({ ...k, revoked_at: k.revoked_at ?? '' })));
    });

  keys
    .command('revoke')
    .description('revoke a key by its id (from "keys list")')
    .argument('<key_id>')
    .action(async (keyId: string) => {
      const revoked = await withKeys((repo) => repo.revoke(keyId));
      if (!revoked) {
        console.error(`no key with id ${keyId}`);
        process.exitCode = 1;
        return;
      }
      console.log(`revoked ${keyId}`);
    });

  return keys;
}
