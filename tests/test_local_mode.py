"""Local mode (`make run`): the app listens on this machine's loopback address only, so nobody else on the
network can read the transcripts (issue 12). Checked on a real server's listening socket, from /proc/net/tcp*."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

from browser_support import ROOT, _free_port

LISTEN = "0A"  # the TCP state of a listening socket in /proc/net/tcp


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as the kernel writes them) of the sockets listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == LISTEN and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_the_config_binds_the_server_to_loopback():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"


def test_make_runs_server_listens_on_loopback_only(sqlite_url):
    port = _free_port()
    # What `make run` starts, with only the port changed: no address option, so the config decides.
    server = subprocess.Popen([sys.executable, "-m", "ui.serve", "--server.port", str(port)], cwd=ROOT,
                              env={**os.environ, "KRUISPUNT_DB_URL": sqlite_url},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.3)
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only: not 0.0.0.0, not ::
    finally:
        server.terminate()
        server.wait(timeout=30)
