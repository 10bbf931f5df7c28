// Validates an OpenAPI document read from stdin against the official schemas
// (@seriousme/openapi-schema-validator is ESM-only, so the tests run it here, in its own process).
import { Validator } from '@seriousme/openapi-schema-validator';

let text = '';
for await (const chunk of process.stdin) text += chunk;
const result = await new Validator().validate(JSON.parse(text));
process.stdout.write(JSON.stringify(result));
process.exitCode = result.valid ? 0 : 1;
