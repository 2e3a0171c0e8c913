#!/usr/bin/env node
// Test-only Better Auth server acting as the authorization server of the
// API's MCP endpoint, as a Better Auth app would set it up: the `jwt` plugin
// (its keys sign the access tokens) and the `mcp` plugin (@better-auth/mcp,
// the OAuth 2.1 provider bound to one MCP resource), with dynamic client
// registration on so that an MCP client can register itself.
//
// Usage: node better-auth-mcp-server.mjs --resource URL [--port N] [--scopes "a b"] [--watch-stdin]
//   --resource URL  the MCP endpoint's public URL (the API's MCP_RESOURCE_URL)
//   --scopes LIST   extra scopes the provider offers, space separated
//
// When ready it prints one JSON line to stdout:
//   {"url": "...", "issuer": ".../api/auth", "jwks_url": ".../api/auth/jwks", "alg": "EdDSA", "pid": N}
// The login and consent "pages" are left to the test, which plays the
// browser: it follows the redirects itself and posts the consent.

import http from "node:http";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";

import { mcp } from "@better-auth/mcp";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins/jwt";

const TABLES = [
  ...["user", "session", "account", "verification", "jwks"],
  ...["oauthClient", "oauthResource", "oauthClientResource", "oauthRefreshToken"],
  ...["oauthAccessToken", "oauthConsent", "oauthClientAssertion"],
];

function fail(message) {
  process.stderr.write(`better-auth-mcp-server: ${message}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      resource: { type: "string" },
      scopes: { type: "string", default: "" },
      "watch-stdin": { type: "boolean", default: false },
    },
    strict: true,
  }));
} catch (err) {
  fail(err.message);
}
if (!args.resource) fail("--resource is required");

let handler = (_req, res) => {
  res.statusCode = 503;
  res.end("starting");
};
const server = http.createServer((req, res) => handler(req, res));
server.on("error", (err) => fail(`server error: ${err.stack || err}`));

server.listen(Number(args.port), "127.0.0.1", () => {
  const baseURL = `http://127.0.0.1:${server.address().port}`;
  const extraScopes = args.scopes.split(" ").filter(Boolean);

  const auth = betterAuth({
    baseURL,
    secret: randomBytes(32).toString("hex"),
    // One in-memory "database" per process: every table of the core and the two plugins.
    database: memoryAdapter(Object.fromEntries(TABLES.map((table) => [table, []]))),
    emailAndPassword: { enabled: true },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    trustedOrigins: [baseURL],
    plugins: [
      jwt(),
      mcp({
        resource: args.resource,
        loginPage: "/sign-in",
        consentPage: "/consent",
        scopes: ["openid", "profile", "email", "offline_access", ...extraScopes],
        allowDynamicClientRegistration: true,
        allowUnauthenticatedClientRegistration: true,
      }),
    ],
    logger: { level: "warn" },
  });

  handler = toNodeHandler(auth);
  const issuer = `${baseURL}/api/auth`;
  const ready = { url: baseURL, issuer, jwks_url: `${issuer}/jwks`, alg: "EdDSA", pid: process.pid };
  process.stdout.write(JSON.stringify(ready) + "\n");
});

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections?.();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
if (args["watch-stdin"]) {
  process.stdin.on("end", shutdown);
  process.stdin.on("close", shutdown);
  process.stdin.resume();
}
