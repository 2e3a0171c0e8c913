#!/usr/bin/env node
// Test-only HS256 signer: makes a token the way a Next.js route handler would
// with the `jose` package, using a shared secret.
//
// Usage: BETTER_AUTH_SECRET=... node sign-hs256.mjs '<claims JSON>' [--issuer X] [--audience Y]
//
// The secret is used as raw UTF-8 bytes (new TextEncoder().encode(secret)),
// which is what jose's docs and most Next.js examples do. `iat` and `exp`
// (iat + 15 minutes) are added unless the claims already carry them.
// Prints the compact JWT on stdout.

import { parseArgs } from "node:util";
import { SignJWT } from "jose";

function fail(message) {
  process.stderr.write(`sign-hs256: ${message}\n`);
  process.exit(2);
}

let values, positionals;
try {
  ({ values, positionals } = parseArgs({
    options: {
      issuer: { type: "string" },
      audience: { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  }));
} catch (err) {
  fail(err.message);
}

const secret = process.env.BETTER_AUTH_SECRET;
if (!secret) fail("BETTER_AUTH_SECRET is not set");
if (positionals.length !== 1) fail("expected exactly one argument: the claims as a JSON object");

let claims;
try {
  claims = JSON.parse(positionals[0]);
} catch (err) {
  fail(`claims are not valid JSON: ${err.message}`);
}
if (claims === null || typeof claims !== "object" || Array.isArray(claims)) {
  fail("claims must be a JSON object");
}

const now = Math.floor(Date.now() / 1000);
const jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" });
// SignJWT copies the payload as given; only fill in what is missing.
if (claims.iat === undefined) jwt.setIssuedAt(now);
if (claims.exp === undefined) jwt.setExpirationTime((claims.iat ?? now) + 15 * 60);
if (values.issuer !== undefined) jwt.setIssuer(values.issuer);
if (values.audience !== undefined) jwt.setAudience(values.audience);

const token = await jwt.sign(new TextEncoder().encode(secret));
process.stdout.write(token + "\n");
