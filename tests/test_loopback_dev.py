"""Every HA the project starts by hand (scripts/develop, scripts/e2e) listens on 127.0.0.1 only.

The browser journey checks the running HA's sockets itself; these tests check the pieces it and
scripts/develop rely on: the HTTP settings they write, and the check that reads the sockets.
"""

from __future__ import annotations

import os
from pathlib import Path
import socket
import sys

from homeassistant.components.http.config import HTTP_STORAGE_SCHEMA
import yaml

from tests.e2e.harness import assert_loopback_only, non_loopback, parse_listening


class _ConfigLoader(yaml.SafeLoader):
    """HA's configuration.yaml, with `!include x` read as the string x."""


_ConfigLoader.add_constructor("!include", lambda loader, node: loader.construct_scalar(node))

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import ha_loopback  # noqa: E402 - a script, found once scripts/ is on the path

# Lines of /proc/net/tcp and tcp6: a listener on 127.0.0.1:8123, one on 0.0.0.0:8123 and one on
# [::]:8123 (inodes 11, 12, 13), and a connected socket (state 01, inode 14).
TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1FBB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11
   1: 00000000:1FBB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12
   2: 0100007F:1FBB 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 14
"""
TCP6 = """\
  sl  local_address                         remote_address                        st tx rx tr
   0: 00000000000000000000000000000000:1FBB 00000000000000000000000000000000:0000 0A 0 0 0 0 0 13
   1: 00000000000000000000000001000000:1FBC 00000000000000000000000000000000:0000 0A 0 0 0 0 0 15
"""


def test_develop_and_e2e_pin_http_to_loopback(tmp_path: Path) -> None:
    ha_loopback.write(tmp_path, 8123)
    stored = (tmp_path / ".storage" / "http").read_text()
    data = yaml.safe_load(stored)["data"]
    assert data["pending"] is None
    assert data["yaml_migration_done"] is True
    settings = {
        k: v for k, v in data["stable"].items() if k not in ("created_at", "error", "error_message")
    }
    # Home Assistant's own schema accepts it unchanged: same keys, same values.
    assert HTTP_STORAGE_SCHEMA(settings) == settings
    assert settings["server_host"] == ["127.0.0.1"]
    assert settings["server_port"] == 8123


def test_the_dev_configuration_has_no_http_block() -> None:
    """An `http:` block would be migrated once, then raise HA's deprecation repair."""
    config = yaml.load((REPO / "config" / "configuration.yaml").read_text(), Loader=_ConfigLoader)
    assert "http" not in config


def test_listening_sockets_are_read_from_the_kernel_tables() -> None:
    inodes = {"11", "12", "13", "14", "15"}
    assert parse_listening(TCP, inodes) == {("127.0.0.1", 8123), ("0.0.0.0", 8123)}
    assert parse_listening(TCP6, inodes) == {("::", 8123), ("::1", 8124)}
    assert parse_listening(TCP, {"11"}) == {("127.0.0.1", 8123)}


def test_anything_but_loopback_is_flagged() -> None:
    listening = parse_listening(TCP, {"11", "12"}) | parse_listening(TCP6, {"13", "15"})
    assert non_loopback(listening) == {("0.0.0.0", 8123), ("::", 8123)}


def test_a_real_loopback_listener_passes(socket_enabled: None) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert ("127.0.0.1", port) in assert_loopback_only("this test", os.getpid())
