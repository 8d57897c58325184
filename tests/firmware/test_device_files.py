"""Every device file validates, keeps the entity contract, and generates code offline."""

from __future__ import annotations

from pathlib import Path
import re
from typing import Any

import pytest

from .esphome_cli import (
    DEVICE_FILES,
    REGISTRY_ONLY_LIBRARIES,
    SIMULATOR_FILE,
    Job,
    Run,
    named_entities,
    printed_config,
    run_jobs,
)

RADAR_FILES = [name for name in DEVICE_FILES if "ld2410" in name]

# One run with the knobs users set in their own YAML: hold time, warm-up, pin, battery.
CUSTOMISED = "motion-esp32-pir.yaml"
CUSTOM_SUBSTITUTIONS = {
    "motion_off_delay": "2min",
    "pir_warmup_seconds": "0",
    "pir_pin": "GPIO26",
    "battery_monitor": "true",
}


@pytest.fixture(scope="module")
def results(tree: Path, scratch: Path) -> dict[str, Run]:
    """Every ESPHome call of this module, run side by side once; the tests check the results."""
    folder = tree / "firmware" / "esphome"
    jobs = {
        f"config {name}": Job(("config", name), folder) for name in [*DEVICE_FILES, SIMULATOR_FILE]
    }
    custom = [arg for key, value in CUSTOM_SUBSTITUTIONS.items() for arg in ("-s", key, value)]
    jobs["config customised"] = Job((*custom, "config", CUSTOMISED), folder)
    for name in DEVICE_FILES:
        # Code generation for the ESP32 would look up REGISTRY_ONLY_LIBRARIES in the
        # PlatformIO registry; a wrapper leaves them out of this offline check.
        wrapper = folder / f"generate-{name}"
        wrapper.write_text(
            f"packages:\n  device: !include {name}\n"
            f"esphome:\n  platformio_options:\n    lib_ignore: {REGISTRY_ONLY_LIBRARIES}\n"
        )
        jobs[f"generate {name}"] = Job(("compile", "--only-generate", wrapper.name), folder)
    jobs["without secrets"] = Job(("config", "motion-esp8266-pir.yaml"), tree / "without-secrets")
    return run_jobs(jobs, scratch)


def valid_config(result: Run) -> dict[str, Any]:
    assert result.returncode == 0, result.output
    assert "INFO Configuration is valid!" in result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("WARNING")]
    assert not warnings, "\n".join(warnings)
    return printed_config(result.output)


def binary_sensors(config: dict[str, Any]) -> dict[str, str | None]:
    """Binary sensor name -> device class."""
    return {
        entity["name"]: entity.get("device_class")
        for entity in named_entities(config.get("binary_sensor", []))
    }


def entity(config: dict[str, Any], domain: str, entity_id: str) -> dict[str, Any]:
    return next(item for item in config[domain] if item.get("id") == entity_id)


@pytest.mark.parametrize("name", [*DEVICE_FILES, SIMULATOR_FILE])
def test_config_is_valid_without_warnings(results: dict[str, Run], name: str) -> None:
    valid_config(results[f"config {name}"])


@pytest.mark.parametrize("name", DEVICE_FILES)
def test_device_keeps_the_entity_contract(results: dict[str, Run], name: str) -> None:
    config = valid_config(results[f"config {name}"])
    sensors = binary_sensors(config)
    assert sensors["Motion"] == "motion"
    if name in RADAR_FILES:
        assert sensors["Occupancy"] == "occupancy"
    model = name.removeprefix("motion-").removesuffix(".yaml")
    assert config["esphome"]["project"]["name"] == f"spottypottysense.{model}"


def test_simulator_keeps_the_entity_contract(results: dict[str, Run]) -> None:
    config = valid_config(results[f"config {SIMULATOR_FILE}"])
    assert binary_sensors(config)["Motion"] == "motion"
    assert "encryption" not in (config["api"] or {})
    assert [button["name"] for button in named_entities(config["button"])] == ["Simulate motion"]


def test_esp8266_file_matches_the_original_wiring(results: dict[str, Run]) -> None:
    config = valid_config(results["config motion-esp8266-pir.yaml"])
    assert config["esp8266"]["board"] == "d1_mini"
    assert entity(config, "binary_sensor", "pir_raw")["pin"]["number"] == 5  # D1
    assert config["status_led"]["pin"]["number"] == 2  # D4, the built-in LED
    assert config["status_led"]["pin"]["inverted"] is True


def test_mqtt_variant_uses_discovery_instead_of_the_api(results: dict[str, Run]) -> None:
    config = valid_config(results["config motion-esp8266-mqtt.yaml"])
    assert "api" not in config
    assert config["mqtt"]["discovery"] is True
    esphome_ota = next(ota for ota in config["ota"] if ota["platform"] == "esphome")
    assert "password" in esphome_ota
    assert "encryption" not in esphome_ota


def test_substitutions_reach_the_pir_package(results: dict[str, Run]) -> None:
    config = valid_config(results["config customised"])
    motion = entity(config, "binary_sensor", "motion")
    assert {"delayed_off": "2min"} in motion["filters"]
    assert "millis() >= 0 * 1000UL" in motion["lambda"]
    assert entity(config, "binary_sensor", "pir_raw")["pin"]["number"] == 26


def test_battery_package_is_optional(results: dict[str, Run]) -> None:
    plain = valid_config(results[f"config {CUSTOMISED}"])
    assert "battery_voltage" not in [item.get("id") for item in plain["sensor"]]
    battery = entity(valid_config(results["config customised"]), "sensor", "battery_voltage")
    assert battery["platform"] == "adc"
    assert battery["name"] == "Battery voltage"


def test_missing_secrets_file_is_named(results: dict[str, Run]) -> None:
    result = results["without secrets"]
    assert result.returncode == 2, result.output
    assert "Error reading file secrets.yaml" in result.output


@pytest.mark.parametrize("name", DEVICE_FILES)
def test_code_generation(results: dict[str, Run], tree: Path, name: str) -> None:
    result = results[f"generate {name}"]
    assert result.returncode == 0, result.output
    assert "INFO Successfully generated source code." in result.output
    build = tree / "firmware" / "esphome" / ".esphome" / "build" / name.removesuffix(".yaml")
    main_cpp = (build / "src" / "main.cpp").read_text()
    assert re.search(r'register_binary_sensor\(\w+, "Motion", .*dc:motion', main_cpp)
    if name in RADAR_FILES:
        assert re.search(r'register_binary_sensor\(\w+, "Occupancy", .*dc:occupancy', main_cpp)
