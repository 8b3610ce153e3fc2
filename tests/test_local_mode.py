"""Local mode (`make run`): the app listens on this machine's loopback address only, so nobody else on the
network can read the transcripts (issue 12). Checked on a real server's listening socket, from /proc/net/tcp*."""

from __future__ import annotations

import tomllib
from pathlib import Path

from browser_support import ROOT, streamlit_server

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
    # What `make run` starts, with only the port changed: no address option, so the configuration decides.
    with streamlit_server(db_url=sqlite_url, browser=False, address=None) as base:
        port = int(base.rsplit(":", 1)[1])
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only: not 0.0.0.0, not ::
