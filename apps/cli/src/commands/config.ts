import { Command } from 'commander';
import { envExample } from '@mnemo/core';

/** `mnemo config example`: every setting with its default, as .env.example holds them. */
export function configCommand(): Command {
  const config = new Command('config').description('settings mnemo reads from the environment');
  config
    .command('example')
    .description('print every setting with its default and meaning (.env.example)')
    .action(() => {
      process.stdout.write(envExample());
    });
  return config;
}
