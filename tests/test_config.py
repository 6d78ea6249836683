"""The config schema: whole error messages, layering, locale, generated files in sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tts_core.config import docs as config_docs
from tts_core.config import loader
from tts_core.config.schema import ENGINE_NAMES, Config, FilterOptions, Rule, VoiceOptions
from tts_core.engines import registry
from tts_core.errors import ConfigError
from tts_core.speech.voicing import translation_target

from .conftest import ROOT, run_cli


def check(text: str, file: str = "/cfg/config.yaml") -> Config:
    config, _ = loader.validate(loader.parse_text(text, file), file)
    return config


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        check(text)
    return str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "voice:\n  engine: gtss\n",
            "==> File /cfg/config.yaml\n==> At key: voice\n==> At key: engine\n=====> Expected "
            "one of auto, offline, gtts, espeak, say, openjtalk, piper, kokoro but got: 'gtss' "
            "(did you mean 'gtts'?)",
        ),
        (
            "voice: {engine: 'gtts, espeek'}\n",
            "==> File /cfg/config.yaml\n==> At key: voice\n==> At key: engine\n=====> Expected "
            "one of gtts, espeak, say, openjtalk, piper, kokoro but got: 'espeek' (did you mean "
            "'espeak'?)",
        ),
        (
            "language: japanse\n",
            "==> File /cfg/config.yaml\n==> At key: language\n=====> Expected a language name or "
            "code but got: 'japanse' (did you mean 'japanese'?)",
        ),
        (
            "voice: {speed: 9}\n",
            "==> File /cfg/config.yaml\n==> At key: voice\n==> At key: speed\n=====> Expected a "
            "number from 0.5 to 3 but got: 9.0",
        ),
        (
            "enabled: 'yes'\n",
            "==> File /cfg/config.yaml\n==> At key: enabled\n=====> Expected true or false but "
            "got: 'yes'",
        ),
        (
            "filters: {code_blocks: anounce}\n",
            "==> File /cfg/config.yaml\n==> At key: filters\n==> At key: code_blocks\n=====> "
            "Expected one of skip, announce, read_short but got: 'anounce' (did you mean "
            "'announce'?)",
        ),
        (
            "speak: {events: [Stop, Stpo]}\n",
            "==> File /cfg/config.yaml\n==> At key: speak\n==> At key: events\n=====> Expected "
            "one of Stop, MessageDisplay, Notification, StopFailure, PermissionRequest but got: "
            "'Stpo' (did you mean 'Stop'?)",
        ),
        (
            "filters: {rules: [{pattern: '(['}]}\n",
            "==> File /cfg/config.yaml\n==> At key: filters\n==> At key: rules\n==> At key: 0\n"
            "==> At key: pattern\n=====> Expected a regular expression but got: '([' (unterminated "
            "character set at position 2)",
        ),
        (
            "filters: {max_sentences: 2.5}\n",
            "==> File /cfg/config.yaml\n==> At key: filters\n==> At key: max_sentences\n=====> "
            "Expected a whole number but got: 2.5",
        ),
        (
            "voice: loud\n",
            "==> File /cfg/config.yaml\n==> At key: voice\n=====> Expected a mapping but got: "
            "'loud'",
        ),
        (
            "- a list\n",
            "==> File /cfg/config.yaml\n=====> Expected a mapping at the top but got: ['a list']",
        ),
        (
            "voice: {speed: 1\n",
            "==> File /cfg/config.yaml\n=====> Expected valid YAML but got an error at line 2, "
            "column 1: expected ',' or '}', but got '<stream end>'",
        ),
    ],
)
def test_bad_configs(text: str, message: str) -> None:
    assert error_of(text) == message


def test_every_problem_is_reported_at_once() -> None:
    message = error_of("voice: {speed: 9, volume: 2}\nlog_level: LOUD\n")
    assert message.count("==> File /cfg/config.yaml") == 3


def test_unknown_keys_are_warnings_with_a_suggestion() -> None:
    config, warnings = loader.validate({"voise": {}, "voice": {"sped": 2}}, "c.yaml")
    assert config == Config()
    assert warnings == [
        "c.yaml: unknown key 'voise' ignored (did you mean 'voice'?)",
        "c.yaml: unknown key 'voice.sped' ignored (did you mean 'speed'?)",
    ]


def test_values_are_read_into_the_schema() -> None:
    config = check(
        "language: ja\nvoice: {engine: 'gtts, openjtalk', speed: 1.25, output_device: USB}\n"
        "translation: {glossary: {daemon: デーモン}}\n"
        "filters: {rules: [{pattern: TODO}, {pattern: foo, replace: bar}]}\n"
        "speak: {events: Stop}\n"
    )
    assert config.language == "ja"
    assert config.voice == VoiceOptions(engine="gtts, openjtalk", speed=1.25, output_device="USB")
    assert config.translation.glossary == {"daemon": "デーモン"}
    assert config.filters == FilterOptions(rules=(Rule("TODO"), Rule("foo", "bar")))
    assert config.speak.events == ("Stop",)


def test_an_empty_file_is_the_defaults() -> None:
    assert check("") == Config()
    assert check("# nothing but comments\n") == Config()


def test_files_are_layered_and_each_error_names_its_file(tmp_path: Path) -> None:
    user = tmp_path / "config.yaml"
    project = tmp_path / "project" / ".claude" / "claude-tts.yaml"
    project.parent.mkdir(parents=True)
    user.write_text("language: ja\nvoice: {speed: 1.5, engine: offline}\n")
    project.write_text("voice: {speed: 0.8}\n")
    config, _ = loader.load([user, project, tmp_path / "missing.yaml"])
    assert (config.language, config.voice.speed, config.voice.engine) == ("ja", 0.8, "offline")
    project.write_text("voice: {speed: fast}\n")
    with pytest.raises(ConfigError) as info:
        loader.load([user, project])
    assert info.value.file == str(project)


@pytest.mark.parametrize(
    ("environ", "code"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "xx_YY"}, "en"),
        ({}, "en"),
    ],
)
def test_auto_language_comes_from_the_locale(environ: dict[str, str], code: str) -> None:
    assert loader.resolve_language("auto", environ).code == code
    assert loader.resolve_language("japanese", environ).code == "ja"


def test_engine_names_match_the_registry() -> None:
    assert set(ENGINE_NAMES) == set(registry.REGISTRY)


def test_default_yaml_is_generated_and_is_the_defaults() -> None:
    committed = (ROOT / "config" / "default.yaml").read_text()
    assert committed == config_docs.default_yaml(), (
        "run: claude-tts config default > config/default.yaml"
    )
    assert check(committed) == Config()
    assert committed.startswith("# yaml-language-server: $schema=./schema.json\n")


def test_schema_json_is_generated_from_the_schema() -> None:
    committed = json.loads((ROOT / "config" / "schema.json").read_text())
    assert committed == config_docs.json_schema(), (
        "run: claude-tts config schema > config/schema.json"
    )
    props = committed["properties"]
    assert props["voice"]["properties"]["engine"]["default"] == "auto"
    assert props["filters"]["properties"]["code_blocks"]["enum"] == [
        "skip",
        "announce",
        "read_short",
    ]
    assert props["filters"]["properties"]["rules"]["items"]["required"] == ["pattern"]
    documented = [
        (name, sub)
        for name, prop in props.items()
        for sub, inner in prop.get("properties", {name: prop}).items()
        if not inner.get("description")
    ]
    assert documented == []


def test_default_yaml_comments_every_setting() -> None:
    lines = config_docs.default_yaml().splitlines()
    for i, line in enumerate(lines):
        if line.strip() and not line.lstrip().startswith("#") and i > 3:
            assert lines[i - 1].lstrip().startswith("#"), line


def test_config_cli(isolated_home: Path, tmp_path: Path) -> None:
    path = isolated_home / "config" / "config.yaml"
    assert run_cli("config", "path").stdout == f"{path}\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text("voice:\n  engine: gtss\n")
    result = run_cli("config", "check", str(bad))
    assert result.returncode == 1
    assert result.stderr == (
        f"claude-tts: error: invalid config\n==> File {bad}\n==> At key: voice\n==> At key: "
        "engine\n=====> Expected one of auto, offline, gtts, espeak, say, openjtalk, piper, kokoro "
        "but got: 'gtss' (did you mean 'gtts'?)\n"
    )
    good = tmp_path / "good.yaml"
    good.write_text("language: ja\nvoise: {}\n")
    result = run_cli("config", "check", str(good))
    assert (result.returncode, result.stdout) == (0, f"{good}: ok (1 warning)\n")
    assert (
        result.stderr == f"warning: {good}: unknown key 'voise' ignored (did you mean 'voice'?)\n"
    )
    strict = run_cli("config", "check", str(good), "--strict")
    assert (strict.returncode, strict.stdout) == (1, "")
    assert strict.stderr.endswith(f"\n{good}: 1 warning (--strict)\n")
    shown = yaml.safe_load(run_cli("config", "show", str(good)).stdout)
    assert shown["language"] == "ja" and shown["voice"]["engine"] == "auto"
    assert run_cli("config", "check").stderr == (
        f"claude-tts: error: no config file at {path} (the defaults apply)\n"
    )


@pytest.mark.parametrize(
    ("yaml_text", "environ", "target"),
    [
        ("language: ja\n", {}, "jpn_Jpan"),
        ("language: auto\n", {"LANG": "ja_JP.UTF-8"}, "jpn_Jpan"),
        ("language: en\n", {}, None),  # the source language: nothing to translate
        ("language: ja\ntranslation: {enabled: false}\n", {}, None),
        ("language: fr\nsource_language: fr\n", {}, None),
    ],
)
def test_translation_target(yaml_text: str, environ: dict[str, str], target: str | None) -> None:
    config = loader.validate(loader.parse_text(yaml_text, "c.yaml"), "c.yaml")[0]
    found = translation_target(config, environ)
    assert (found.nllb if found else None) == target
