#!/usr/bin/env node
// Test-only Better Auth server for the Python interop tests.
//
// Runs a real `better-auth` instance (in-memory database, `jwt` plugin) on
// 127.0.0.1 with node:http, so pytest can sign users up over HTTP exactly like
// a frontend and verify the JWTs the plugin issues.
//
// Usage: node better-auth-server.mjs [--port N] [--alg ALG] [--watch-stdin]
//   --port N        port to listen on; 0 (default) picks a free port
//   --alg ALG       JWT signing alg: EdDSA (default), ES256, ES512, RS256, PS256
//   --watch-stdin   exit when stdin reaches EOF (lets a parent process that
//                   dies without sending SIGTERM take the server down with it)
//
// When ready it prints exactly one JSON line to stdout:
//   {"url": "...", "jwks_url": ".../api/auth/jwks", "alg": "EdDSA", "pid": 123}
// Everything else (logs, errors) goes to stderr.

import http from "node:http";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";

import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins/jwt";

// Key pair options per alg, passed to jwt({ jwks: { keyPairConfig } }).
// These go straight to jose's generateKeyPair; RSA needs a modulusLength
// (2048 is jose's default too, but say it explicitly).
const KEY_PAIR_CONFIGS = {
  EdDSA: { alg: "EdDSA", crv: "Ed25519" },
  ES256: { alg: "ES256" },
  ES512: { alg: "ES512" },
  RS256: { alg: "RS256", modulusLength: 2048 },
  PS256: { alg: "PS256", modulusLength: 2048 },
};

function fail(message) {
  process.stderr.write(`better-auth-server: ${message}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      alg: { type: "string", default: "EdDSA" },
      "watch-stdin": { type: "boolean", default: false },
    },
    strict: true,
  }));
} catch (err) {
  fail(err.message);
}

const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad --port ${args.port}`);
const keyPairConfig = KEY_PAIR_CONFIGS[args.alg];
if (!keyPairConfig) {
  fail(`unsupported --alg ${args.alg}; use one of ${Object.keys(KEY_PAIR_CONFIGS).join(", ")}`);
}

// The Better Auth handler can only be built once the real port is known,
// because baseURL (and so the `iss`/`aud` of every token) must be the exact
// origin the server answers on. Requests arriving before that get a 503.
let handler = (_req, res) => {
  res.statusCode = 503;
  res.end("starting");
};
const server = http.createServer((req, res) => handler(req, res));

server.on("error", (err) => fail(`server error: ${err.stack || err}`));

server.listen(port, "127.0.0.1", () => {
  const actualPort = server.address().port;
  const baseURL = `http://127.0.0.1:${actualPort}`;

  const auth = betterAuth({
    baseURL,
    // Fresh random secret per process (64 hex chars). It encrypts the stored
    // private JWKs and signs cookies; nothing outside this process needs it.
    secret: randomBytes(32).toString("hex"),
    // One in-memory "database" per process: tables are plain arrays.
    database: memoryAdapter({ user: [], session: [], account: [], verification: [], jwks: [] }),
    emailAndPassword: { enabled: true },
    // Tests sign up many users quickly from one IP.
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    // The baseURL origin is trusted by default; listing it keeps that explicit.
    // Clients must still send `Origin: <baseURL>` on cookie-bearing POSTs.
    trustedOrigins: [baseURL],
    plugins: [jwt({ jwks: { keyPairConfig } })],
    logger: { level: "warn" },
  });

  handler = toNodeHandler(auth);

  const ready = {
    url: baseURL,
    jwks_url: `${baseURL}/api/auth/jwks`,
    alg: args.alg,
    pid: process.pid,
  };
  process.stdout.write(JSON.stringify(ready) + "\n");
});

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  // Drop keep-alive sockets so close() does not wait on idle clients.
  server.closeAllConnections?.();
  server.close(() => process.exit(0));
  // Never hang on shutdown.
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

if (args["watch-stdin"]) {
  process.stdin.on("end", shutdown);
  process.stdin.on("close", shutdown);
  process.stdin.resume();
}
