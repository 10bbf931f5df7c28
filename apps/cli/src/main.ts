#!/usr/bin/env node
import { Command } from 'commander';
import { configCommand } from './commands/config';
import { importCommand } from './commands/import';
import { jobsCommand } from './commands/jobs';
import { keysCommand } from './commands/keys';
import { mcpCommand } from './commands/mcp';
import { modelsCommand } from './commands/models';
import { reembedCommand } from './commands/reembed';
import { resetCommand } from './commands/reset';
import { startCommand } from './commands/start';
import { usageCommand } from './commands/usage';

const program = new Command('mnemo').description('mnemo memory service: administration').version('0.1.0');
program.addCommand(keysCommand());
program.addCommand(usageCommand());
program.addCommand(jobsCommand());
program.addCommand(importCommand());
program.addCommand(reembedCommand());
program.addCommand(modelsCommand());
program.addCommand(configCommand());
program.addCommand(startCommand());
program.addCommand(resetCommand());
program.addCommand(mcpCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
