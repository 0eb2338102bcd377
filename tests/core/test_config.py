"""Settings fail fast with one line naming the variable, and never show secrets."""

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import PikaProvider, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("DISCORD_TOKEN", "PIKA_PROVIDER", "PIKA_API_KEY", "PIKA_API_BASE", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_need_only_a_token(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    settings = load_settings()
    assert settings.pika_provider is PikaProvider.SIMULATOR
    assert settings.discord_api_base == "https://discord.com/api/v10"
    assert settings.discord_gateway_url == "wss://gateway.discord.gg/"
    assert str(settings.database_path) == "data/bot.sqlite3"
    assert settings.quota_default_allowance == 10


def test_missing_token_names_the_variable():
    with pytest.raises(SettingsError, match=r"^DISCORD_TOKEN is required$"):
        load_settings()


def test_webbot_without_key_is_refused(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.setenv("PIKA_PROVIDER", "webbot")
    with pytest.raises(SettingsError, match="PIKA_API_KEY is required when PIKA_PROVIDER=webbot"):
        load_settings()


def test_unknown_provider_says_what_is_expected(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.setenv("PIKA_PROVIDER", "openai")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith("PIKA_PROVIDER ")
    assert "'simulator', 'webbot', 'feed', 'pika' or 'fal'" in str(error.value)


def test_fal_needs_fal_key_and_defaults_to_fal_urls(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.setenv("PIKA_PROVIDER", "fal")
    monkeypatch.setenv("PIKA_API_KEY", "not-the-one-fal-needs")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value) == (
        "FAL_KEY is required when PIKA_PROVIDER=fal (the key from fal.ai's dashboard)"
    )
    monkeypatch.setenv("FAL_KEY", "fal-secret")
    settings = load_settings()
    assert settings.provider_base == "https://queue.fal.run"
    assert settings.fal_jwks_url == "https://rest.alpha.fal.ai/.well-known/jwks.json"
    assert "fal-secret" not in repr(settings) + str(settings)


def test_pika_needs_its_key_and_defaults_to_the_developer_api(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.setenv("PIKA_PROVIDER", "pika")
    monkeypatch.setenv("FAL_KEY", "not-the-one-pika-needs")
    with pytest.raises(SettingsError, match=r"^PIKA_API_KEY is required when PIKA_PROVIDER=pika"):
        load_settings()
    monkeypatch.setenv("PIKA_API_KEY", "pk")
    monkeypatch.setenv("PIKA_FAILED_STATUSES", "failed, rejected")
    settings = load_settings()
    assert settings.provider_base == "https://devapi.pika.art"
    assert settings.pika_failed_statuses == ["failed", "rejected"]


def test_settings_read_from_dotenv(tmp_path):
    (tmp_path / ".env").write_text("DISCORD_TOKEN=from-file\nQUOTA_DEFAULT_PERIOD=week\n")
    settings = load_settings()
    assert settings.discord_token.get_secret_value() == "from-file"
    assert settings.quota_default_period.value == "week"


def test_secrets_are_masked(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "super-secret-token")
    monkeypatch.setenv("PIKA_PROVIDER", "webbot")
    monkeypatch.setenv("PIKA_API_KEY", "hk-secret-key")
    monkeypatch.setenv("PIKA_API_BASE", "https://pika.example/web")
    settings = load_settings()
    shown = repr(settings) + str(settings)
    assert "super-secret-token" not in shown
    assert "hk-secret-key" not in shown


def _start_bot(folder: Path) -> subprocess.CompletedProcess[str]:
    """``python -m bot`` in ``folder`` with nothing set but what its ``.env`` says."""
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        capture_output=True,
        text=True,
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[2])},
        timeout=60,
    )


def test_start_without_token_is_one_clear_line_and_no_traceback(tmp_path):
    result = _start_bot(tmp_path)
    assert result.returncode == 2
    assert "Cannot start: DISCORD_TOKEN is required." in result.stderr
    assert "Traceback" not in result.stderr


def test_database_url_selects_postgresql_and_keeps_its_password_secret(monkeypatch):
    from bot.wiring import database_target

    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    assert database_target(load_settings()) == load_settings().database_path  # SQLite
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:hunter2@db.example.org/pika")
    settings = load_settings()
    assert database_target(settings) == "postgresql://bot:hunter2@db.example.org/pika"
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)
    monkeypatch.setenv("DATABASE_URL", "mysql://bot@db/pika")
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings()


def test_locales_dir_set_in_the_env_file_is_read_at_start_and_a_missing_catalog_stops_it(
    tmp_path,
):
    (tmp_path / "empty").mkdir()
    (tmp_path / ".env").write_text("DISCORD_TOKEN=abc\nLOCALES_DIR=empty\n")
    result = _start_bot(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Cannot read the language catalogs (LOCALES_DIR)" in output
    assert "en-US.po" in output
    assert "Traceback" not in output


def test_catalogs_are_read_from_the_folder_they_are_told(tmp_path):
    from bot.ui.i18n import BUNDLED, Locale, t, use_catalogs

    for catalog in BUNDLED.glob("*.po"):
        text = catalog.read_text(encoding="utf-8")
        if catalog.name == "zh-CN.po":
            text = text.replace('msgstr "风格只有 1.0 模型才支持。"', 'msgstr "本地的句子。"')
        (tmp_path / catalog.name).write_text(text, encoding="utf-8")
    try:
        use_catalogs(tmp_path)
        assert t(Locale.ZH_CN, "pika.style_model") == "本地的句子。"
    finally:
        use_catalogs(None)
    assert t(Locale.ZH_CN, "pika.style_model") == "风格只有 1.0 模型才支持。"


def test_a_setting_given_as_empty_text_is_unset(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    for name in ("PIKA_WEBHOOK_SECRET", "PIKA_API_KEY", "FAL_KEY", "PIKA_WEBHOOK_URL"):
        monkeypatch.setenv(name, "")
    settings = load_settings()
    assert settings.pika_webhook_secret is None  # so a secret is made, never an empty key
    assert settings.pika_api_key is None and settings.fal_key is None
    assert settings.pika_webhook_url is None
    monkeypatch.setenv("DISCORD_TOKEN", "")
    with pytest.raises(SettingsError, match="DISCORD_TOKEN"):
        load_settings()
