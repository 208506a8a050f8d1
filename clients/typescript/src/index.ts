// @cinchdb/cinch: the TypeScript client of cinch serve. See README.md.
export * from "./client.js";
export * from "./errors.js";
export * from "./kv.js";
export * from "./cluster.js";
export { parseJSON, stringifyJSON } from "./json.js";
export type { components, operations, paths } from "./generated/openapi.js";
