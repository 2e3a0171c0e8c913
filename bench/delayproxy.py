#!/usr/bin/env python3
"""
A TCP proxy that puts a network between the servers and PostgreSQL: every
byte is held for half the round-trip time on its way up and half on its way
back, so each request and answer costs one RTT, as with a database in another
building (Neon: about 1 ms in the same region, 5-30 ms across).

    python bench/delayproxy.py --upstream 127.0.0.1:5432 --rtt 10

It prints one JSON line, {"port": P, "control_port": C}, once it listens.
Bytes keep their order on each connection; a new connection waits one RTT
more before its first bytes go up, for the TCP handshake the loopback skips.

It also counts round trips: on each connection, the client sending and then
the server answering is one (however many packets either side took; TLS
hides the messages, not their turns), plus one per new connection for its
TCP handshake. The control port answers one command per connection, one
line each way:

    stats     {"connections": N, "open": N, "round_trips": N, "bytes_up": N,
               "bytes_down": N, "queued": N, "idle": S, "cpu": S, "rtt_ms": X}
    rtt MS    set the delay for the bytes that arrive from now on

One asyncio loop, callbacks only (no task per packet), so it stays cheap at a
few thousand round trips per second; its CPU is in "cpu" for the callers to
report.
"""

import argparse
import asyncio
import json
import resource
import selectors
import sys
from collections import deque

# Chunks due within this much are sent now rather than after another wake-up.
EARLY = 0.0002


class Counters:
    def __init__(self, rtt: float):
        self.rtt = rtt
        self.connections = 0
        self.open = 0
        self.round_trips = 0
        self.bytes_up = 0
        self.bytes_down = 0
        self.queued = 0
        self.last_activity = 0.0

    def as_dict(self, now: float) -> dict:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "connections": self.connections,
            "open": self.open,
            "round_trips": self.round_trips,
            "bytes_up": self.bytes_up,
            "bytes_down": self.bytes_down,
            "queued": self.queued,
            "idle": round(now - self.last_activity, 6),
            "cpu": usage.ru_utime + usage.ru_stime,
            "rtt_ms": self.rtt * 1000,
        }


# What a direction carries besides bytes: the sender's end of the stream (a
# half close, passed on as one) or its socket gone (the other side is closed).
EOF_MARK = "eof"
CLOSE_MARK = "close"


class Delayed:
    """
    One direction of one connection: items delivered in arrival order, each
    no sooner than its due time. One timer per direction at a time, so a
    burst of chunks costs one wake-up, not one each.
    """

    def __init__(self, loop, counters: Counters, deliver):
        self.loop = loop
        self.counters = counters
        self.deliver = deliver
        self.queue: deque = deque()
        self.timer = None

    def push(self, due: float, item) -> None:
        if due <= self.loop.time() + EARLY and not self.queue:
            self.send(item)
            return
        self.queue.append((due, item))
        self.counters.queued += 1
        if self.timer is None:
            self.timer = self.loop.call_at(due - EARLY, self.flush)

    def flush(self) -> None:
        self.timer = None
        now = self.loop.time() + EARLY
        while self.queue and self.queue[0][0] <= now:
            self.counters.queued -= 1
            self.send(self.queue.popleft()[1])
        if self.queue:
            self.timer = self.loop.call_at(self.queue[0][0] - EARLY, self.flush)

    def send(self, item) -> None:
        self.counters.last_activity = self.loop.time()
        self.deliver(item)

    def drop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.counters.queued -= len(self.queue)
        self.queue.clear()


class End(asyncio.Protocol):
    """One socket of a proxied connection: what it reads, its Link sends on."""

    def __init__(self, link: "Link"):
        self.link = link
        self.transport = None
        self.ended = False  # it sent its end of the stream, or its socket is gone
        self.gone = False  # its socket is closed: nothing more can be written to it

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.link.received(self, data)

    def eof_received(self):
        self.link.ended(self, EOF_MARK)
        return True  # half open: the other way may still have bytes for it

    def connection_lost(self, exc):
        self.gone = True
        self.link.ended(self, CLOSE_MARK)

    # Backpressure: a socket that cannot write fast enough stops its peer's reading.
    def pause_writing(self):
        self.link.other(self).pause()

    def resume_writing(self):
        self.link.other(self).resume()

    def pause(self):
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def resume(self):
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def write(self, data: bytes) -> None:
        if not self.gone and not self.transport.is_closing():
            self.transport.write(data)

    def write_eof(self) -> None:
        if self.gone or self.transport.is_closing():
            return
        try:
            if self.transport.can_write_eof():
                self.transport.write_eof()
                return
        except OSError:
            pass  # the peer is gone already
        self.transport.close()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


class Link:
    """A client's connection and its connection to PostgreSQL, each way delayed."""

    def __init__(self, loop, counters: Counters, upstream: tuple[str, int]):
        self.loop = loop
        self.counters = counters
        self.client = End(self)
        self.server = End(self)
        self.up = Delayed(loop, counters, lambda item: self.deliver(self.server, item))
        self.down = Delayed(loop, counters, lambda item: self.deliver(self.client, item))
        self.pending_up: list = []
        self.awaiting_answer = False
        self.finished = False
        # The loopback's handshake is instant: the first bytes wait one RTT for it.
        self.not_before = loop.time() + counters.rtt
        counters.connections += 1
        counters.open += 1
        counters.round_trips += 1
        loop.create_task(self.connect(upstream))

    async def connect(self, upstream):
        try:
            await self.loop.create_connection(lambda: self.server, *upstream)
        except OSError:
            self.server.gone = self.server.ended = True
            self.finish()
            return
        pending, self.pending_up = self.pending_up, []
        for item in pending:
            self.deliver(self.server, item)

    def other(self, end: End) -> End:
        return self.server if end is self.client else self.client

    def due(self) -> float:
        return max(self.loop.time(), self.not_before) + self.counters.rtt / 2

    def received(self, end: End, data: bytes) -> None:
        counters = self.counters
        counters.last_activity = self.loop.time()
        if end is self.client:
            counters.bytes_up += len(data)
            self.awaiting_answer = True
            self.up.push(self.due(), data)
        else:
            counters.bytes_down += len(data)
            if self.awaiting_answer:
                # The client spoke, and this is the server's turn: one round trip.
                counters.round_trips += 1
                self.awaiting_answer = False
            self.down.push(self.due(), data)

    def ended(self, end: End, mark: str) -> None:
        if mark == CLOSE_MARK and end.gone and end.ended:
            # Its end was already on its way; now nothing can reach it either.
            (self.down if end is self.client else self.up).drop()
            self.settle()
            return
        if end.ended:
            return
        end.ended = True
        if end.gone:
            (self.down if end is self.client else self.up).drop()
        (self.up if end is self.client else self.down).push(self.due(), mark)

    def deliver(self, to: End, item) -> None:
        if to is self.server and self.server.transport is None:
            self.pending_up.append(item)
        elif item == EOF_MARK:
            to.write_eof()
            self.settle()
        elif item == CLOSE_MARK:
            to.close()
            self.settle()
        else:
            to.write(item)

    def settle(self) -> None:
        """Both ways ended, or one side gone and its end passed on: close what is left."""
        client, server = self.client, self.server
        both_ended = client.ended and server.ended and not self.up.queue and not self.down.queue
        if both_ended or client.gone or server.gone:
            if (
                both_ended
                or (client.gone and not self.up.queue)
                or (server.gone and not self.down.queue)
            ):
                self.finish()

    def finish(self) -> None:
        self.client.close()
        self.server.close()
        if not self.finished:
            self.finished = True
            self.counters.open -= 1
            self.up.drop()
            self.down.drop()
            self.pending_up = []


async def control(reader, writer, counters: Counters, loop) -> None:
    try:
        line = (await reader.readline()).decode().split()
        if line[:1] == ["rtt"] and len(line) == 2:
            counters.rtt = float(line[1]) / 1000
        elif line != ["stats"]:
            writer.write(b'{"error": "commands: stats, rtt MS"}\n')
            return
        writer.write(json.dumps(counters.as_dict(loop.time())).encode() + b"\n")
    finally:
        await writer.drain()
        writer.close()


async def serve(args) -> None:
    loop = asyncio.get_running_loop()
    counters = Counters(args.rtt / 1000)
    counters.last_activity = loop.time()
    host, _, port = args.upstream.rpartition(":")
    upstream = (host or "127.0.0.1", int(port))
    server = await loop.create_server(
        lambda: Link(loop, counters, upstream).client, args.host, args.port, backlog=1024
    )
    controller = await asyncio.start_server(
        lambda r, w: control(r, w, counters, loop), args.host, args.control_port
    )
    ports = {
        "port": server.sockets[0].getsockname()[1],
        "control_port": controller.sockets[0].getsockname()[1],
    }
    print(json.dumps(ports), flush=True)
    await asyncio.Event().wait()


def main() -> int:
    parser = argparse.ArgumentParser(description="A TCP proxy that delays each direction.")
    parser.add_argument("--upstream", required=True, help="HOST:PORT of PostgreSQL")
    parser.add_argument("--rtt", type=float, default=10.0, help="round-trip time to add, ms")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free one, printed")
    parser.add_argument("--control-port", type=int, default=0)
    args = parser.parse_args()
    # select() takes its timeout in microseconds where epoll takes whole
    # milliseconds: with epoll every delay would come out up to 1 ms long.
    # A few hundred sockets at most, which select() handles cheaply.
    loop = asyncio.SelectorEventLoop(selectors.SelectSelector())
    try:
        loop.run_until_complete(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
