"""
A JWKS served over real HTTP on 127.0.0.1, shaped like Better Auth's
``/api/auth/jwks``, with keys made in the test. It counts its hits and can be
taken down or slowed down, to test caching and outages.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

KEY_MAKERS = {
    "EdDSA": ed25519.Ed25519PrivateKey.generate,
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ES512": lambda: ec.generate_private_key(ec.SECP521R1()),
    "RS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "PS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
}


class SigningKey:
    """A key pair as Better Auth's jwt plugin keeps one: an id, an algorithm, a JWK."""

    def __init__(self, algorithm: str, kid: str):
        self.algorithm = algorithm
        self.kid = kid
        self.private_key = KEY_MAKERS[algorithm]()
        algorithm_object = jwt.get_algorithm_by_name(algorithm)
        self.public_jwk = {
            **algorithm_object.to_jwk(self.private_key.public_key(), as_dict=True),
            "alg": algorithm,
            "kid": kid,
        }

    def sign(self, claims: dict, **headers) -> str:
        header = {name: value for name, value in {"kid": self.kid, **headers}.items() if value}
        return jwt.encode(claims, self.private_key, algorithm=self.algorithm, headers=header)


class JWKSServer:
    def __init__(self):
        self.keys: list[SigningKey] = []
        self.hits = 0
        self.down = False
        self.delay = 0.0
        self.path = "/api/auth/jwks"
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._server.server_port}"
        self.url = self.origin + self.path
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def _handler(self):
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                jwks.hits += 1
                time.sleep(jwks.delay)
                if jwks.down or self.path != jwks.path:
                    self.send_response(503 if jwks.down else 404)
                    self.end_headers()
                    return
                body = json.dumps({"keys": [key.public_jwk for key in jwks.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def add_key(self, algorithm="EdDSA", kid=None) -> SigningKey:
        key = SigningKey(algorithm, kid or f"{algorithm.lower()}-key-{len(self.keys) + 1}")
        self.keys.append(key)
        return key

    def close(self):
        self._server.shutdown()
        self._server.server_close()
