#!/usr/bin/env node
// Test-only Better Auth server for the session token tests: the `bearer`
// plugin and email + password, no `jwt` plugin, on a PostgreSQL database of
// the caller's (Better Auth's own Kysely adapter over `pg`). Its migrations run
// at start, so the database gets Better Auth's real "user", "session",
// "account" and "verification" tables.
//
// Usage: BETTER_AUTH_SECRET=... node better-auth-session-server.mjs \
//            --database-url postgresql://... [--port N] [--watch-stdin]
//   --database-url URL  the PostgreSQL database to keep users and sessions in
//   --port N            port to listen on; 0 (default) picks a free port
//   --watch-stdin       exit when stdin reaches EOF (a parent that dies
//                       without sending SIGTERM takes the server down with it)
//
// The secret comes from the environment, as in a real deployment, so that the
// API under test can be given the same one. When ready it prints one line:
//   {"url": "http://127.0.0.1:PORT", "pid": 123}
// Everything else (logs, errors) goes to stderr.

import http from "node:http";
import { parseArgs } from "node:util";

import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { bearer } from "better-auth/plugins/bearer";
import pg from "pg";

function fail(message) {
  process.stderr.write(`better-auth-session-server: ${message}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      "database-url": { type: "string" },
      "watch-stdin": { type: "boolean", default: false },
    },
    strict: true,
  }));
} catch (err) {
  fail(err.message);
}

const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad --port ${args.port}`);
if (!args["database-url"]) fail("--database-url is required");
const secret = process.env.BETTER_AUTH_SECRET;
if (!secret) fail("BETTER_AUTH_SECRET is not set");

const pool = new pg.Pool({ connectionString: args["database-url"], max: 4 });

let handler = (_req, res) => {
  res.statusCode = 503;
  res.end("starting");
};
const server = http.createServer((req, res) => handler(req, res));
server.on("error", (err) => fail(`server error: ${err.stack || err}`));

function options(baseURL) {
  return {
    baseURL,
    secret,
    database: pool,
    emailAndPassword: { enabled: true },
    // updateAge 0: every get-session that is allowed to refresh the session
    // writes a new expiresAt, so a client that forgets disableRefresh=true
    // is seen writing Better Auth's tables.
    session: { updateAge: 0 },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    trustedOrigins: [baseURL],
    plugins: [bearer()],
    logger: { level: "warn" },
  };
}

server.listen(port, "127.0.0.1", async () => {
  const baseURL = `http://127.0.0.1:${server.address().port}`;
  try {
    const { runMigrations } = await getMigrations(options(baseURL));
    await runMigrations();
  } catch (err) {
    fail(`migrations failed: ${err.stack || err}`);
  }
  handler = toNodeHandler(betterAuth(options(baseURL)));
  process.stdout.write(JSON.stringify({ url: baseURL, pid: process.pid }) + "\n");
});

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections?.();
  server.close(() => pool.end().finally(() => process.exit(0)));
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

if (args["watch-stdin"]) {
  process.stdin.on("end", shutdown);
  process.stdin.on("close", shutdown);
  process.stdin.resume();
}
