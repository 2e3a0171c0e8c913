"""
What the processes of one measured run use, read from /proc: the server's
whole process tree (whatever command started it: gunicorn's master and
workers, uvicorn's or granian's), PostgreSQL's processes for the run's
database, and the machine as a whole.

Processes are sampled every 0.2 s rather than read at the start and the end,
so that one that ends during the run (a worker restarted, a backend of a pool
that closes its extra connections) still counts for what it had used when last
seen.
"""

import os
import resource
import threading
import time

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def read_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def processes() -> dict[int, list[str]]:
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = read_stat(int(entry))
            if fields is not None and fields[0] != "Z":
                table[int(entry)] = fields
    return table


def tree(root: int, table: dict[int, list[str]]) -> list[int]:
    """root and all its descendants, however deep (a shell, a master, its workers)."""
    children: dict[int, list[int]] = {}
    for pid, fields in table.items():
        children.setdefault(int(fields[1]), []).append(pid)
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        if pid in table:
            found.append(pid)
            pending.extend(children.get(pid, ()))
    return found


def ticks_of(fields: list[str]) -> int:
    return int(fields[11]) + int(fields[12])


def rss_of(fields: list[str]) -> int:
    return int(fields[21]) * PAGE


def group_alive(pgid: int) -> bool:
    return any(int(fields[2]) == pgid for fields in processes().values())


def affinity(pids: list[int]) -> set[int]:
    cpus: set[int] = set()
    for pid in pids:
        try:
            cpus |= os.sched_getaffinity(pid)
        except OSError:
            continue
    return cpus


class PostgresKinds:
    """
    Sorts PostgreSQL's processes by their titles ("postgres: 15/main: USER DB
    HOST(PORT) STATE"): backends and autovacuum workers of the run's database
    and the server's own background processes (checkpointer, WAL writer, ...)
    count as the run's PostgreSQL; backends of other databases, which other
    users of a shared server drive, and the postmaster count as "other".
    """

    def __init__(self, database: str):
        self.database = database
        self.known: dict[tuple[int, str], bool] = {}

    def ours(self, pid: int, fields: list[str]) -> bool:
        key = (pid, fields[19])  # the start time tells a reused pid apart
        if key in self.known:
            return self.known[key]
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                title = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return False
        if not title.startswith("postgres: "):
            # The postmaster, or a backend just forked that has not set its
            # title yet: look again at the next sample.
            return False
        words = title.split()
        if self.database in words:
            ours = True
        else:
            is_backend = any("(" in word or word == "[local]" for word in words)
            is_autovacuum = "autovacuum" in words and "worker" in words
            ours = not (is_backend or is_autovacuum)
        self.known[key] = ours
        return ours


def postgres_pids(table: dict[int, list[str]]) -> list[int]:
    found = []
    for pid in table:
        try:
            with open(f"/proc/{pid}/comm") as comm:
                if comm.read().strip() == "postgres":
                    found.append(pid)
        except OSError:
            continue
    return found


def busy_ticks() -> int:
    """CPU time spent by the whole machine, not idle, in clock ticks."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq + steal


def own_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


class Usage(threading.Thread):
    """
    Samples, every 0.2 s, the server's process tree (CPU and summed RSS) and
    PostgreSQL's processes for one database; ``measure()`` starts a window and
    ``shares()`` ends it with where the machine's CPU went: the server,
    PostgreSQL, wrk (a child of this process), this process itself, and
    everything else. A large "other" share means the machine was busy with
    something else and the figures are not comparable.
    """

    def __init__(self, server_pid: int, database: str, extra=None, interval: float = 0.2):
        super().__init__(daemon=True)
        self.server_pid = server_pid
        # Other processes to account for by name (the delay proxy), each with its children.
        self.extra: dict[str, int] = extra or {}
        self.kinds = PostgresKinds(database)
        self.interval = interval
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.window_open = False
        self.peak_rss = 0

    def sample(self) -> None:
        table = processes()
        server = {pid: table[pid] for pid in tree(self.server_pid, table)}
        postgres = {
            pid: table[pid] for pid in postgres_pids(table) if self.kinds.ours(pid, table[pid])
        }
        extra = {
            name: {pid: ticks_of(table[pid]) for pid in tree(root, table)}
            for name, root in self.extra.items()
        }
        with self.lock:
            self.peak_rss = max(self.peak_rss, sum(rss_of(f) for f in server.values()))
            if self.window_open:
                for pid, fields in server.items():
                    self.server_last[pid] = ticks_of(fields)
                for pid, fields in postgres.items():
                    self.postgres_last[pid] = ticks_of(fields)
                for name, ticks in extra.items():
                    self.extra_last[name].update(ticks)
            else:
                self.server_first = {pid: ticks_of(f) for pid, f in server.items()}
                self.postgres_first = {pid: ticks_of(f) for pid, f in postgres.items()}
                self.server_last = dict(self.server_first)
                self.postgres_last = dict(self.postgres_first)
                self.extra_first = extra
                self.extra_last = {name: dict(ticks) for name, ticks in extra.items()}

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.sample()

    def measure(self) -> None:
        with self.lock:
            self.window_open = False
        self.sample()
        with self.lock:
            self.peak_rss = 0
            self.window_open = True
            self.started = time.monotonic()
            self.busy = busy_ticks()
            self.wrk = own_seconds(resource.RUSAGE_CHILDREN)
            self.itself = own_seconds(resource.RUSAGE_SELF)
        self.sample()

    @staticmethod
    def spent(first: dict[int, int], last: dict[int, int]) -> float:
        # A process new in the window counts from zero.
        return sum(ticks - first.get(pid, 0) for pid, ticks in last.items()) / TICKS

    def shares(self) -> dict[str, float]:
        """Shares of the machine's CPU capacity during the window, in percent."""
        self.sample()
        with self.lock:
            self.window_open = False
            elapsed = time.monotonic() - self.started
            seconds = {
                "server": self.spent(self.server_first, self.server_last),
                "postgres": self.spent(self.postgres_first, self.postgres_last),
                "wrk": own_seconds(resource.RUSAGE_CHILDREN) - self.wrk,
                "bench": own_seconds(resource.RUSAGE_SELF) - self.itself,
            }
            for name in self.extra:
                seconds[name] = self.spent(self.extra_first[name], self.extra_last[name])
            total = (busy_ticks() - self.busy) / TICKS
        seconds["other"] = max(total - sum(seconds.values()), 0.0)
        capacity = elapsed * (os.cpu_count() or 1)
        return {name: 100 * value / capacity for name, value in seconds.items()}

    def stop(self) -> None:
        self.stopped.set()
