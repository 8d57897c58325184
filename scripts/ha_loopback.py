"""Pin a Home Assistant configuration folder's web server to 127.0.0.1 and one port.

Since 2026.x Home Assistant keeps its HTTP settings in `.storage/http`, and an `http:` block in
configuration.yaml only raises a deprecation repair (and a confirmation dialog during
onboarding). Without either, HA listens on every address (0.0.0.0 and ::). scripts/develop and
scripts/e2e therefore write this file before each start:

    python scripts/ha_loopback.py CONFIG_DIR PORT
"""

from __future__ import annotations

import json
from pathlib import Path
import sys

# Home Assistant 2026.10's HTTPConfigStore format (homeassistant/components/http/config.py).
STORE_VERSION = 2
STORE_MINOR_VERSION = 2


def http_store(port: int) -> dict[str, object]:
    """The store contents: a confirmed ("stable") config, nothing pending, YAML migrated."""
    stable = {
        "server_host": ["127.0.0.1"],
        "server_port": port,
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        "created_at": "2026-01-01T00:00:00+00:00",
        "error": None,
        "error_message": None,
    }
    return {
        "version": STORE_VERSION,
        "minor_version": STORE_MINOR_VERSION,
        "key": "http",
        "data": {"stable": stable, "pending": None, "yaml_migration_done": True},
    }


def write(config_dir: Path, port: int) -> None:
    """Write CONFIG_DIR/.storage/http (replacing whatever was there)."""
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    (storage / "http").write_text(json.dumps(http_store(port), indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    write(Path(sys.argv[1]), int(sys.argv[2]))
