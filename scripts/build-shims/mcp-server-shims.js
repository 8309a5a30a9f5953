// Replaces `@modelcontextprotocol/server/_shims` in the bundle (scripts/build.mjs). The SDK's Node
// shim makes Ajv (with ajv-formats, ~150 KB of source loaded into every worker) the default JSON
// Schema validator of every McpServer. The server validates JSON Schema in one place only: the
// answer to an elicitation (policy confirmations, src/worker/mcp/confirm.ts) against the schema it
// asked with. The SDK's own Cloudflare Workers shim uses its `@cfworker/json-schema` provider for
// that, a public export of the same package (`@modelcontextprotocol/server/validators/cf-worker`);
// this is the Node shim with that provider. test/integration/confirmation.test.ts covers the path.
export { CfWorkerJsonSchemaValidator as DefaultJsonSchemaValidator } from '@modelcontextprotocol/server/validators/cf-worker';
export { default as process } from 'node:process';
