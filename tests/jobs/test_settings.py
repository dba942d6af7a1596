"""Settings: defaults, the environment, and one clear line per bad value."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from plugin_sdk.loader import BUNDLED_PLUGINS
from plugin_sdk.runtime.limits import Limits
from server.settings import SECRET_KEY_FILE, SettingsError, load_settings


def test_defaults_put_everything_in_the_data_folder(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "var")
    assert settings.data_dir == (tmp_path / "var").resolve()
    assert settings.database_url == f"sqlite:///{(tmp_path / 'var' / 'plotforge.db').resolve()}"
    assert settings.jobs_dir == settings.data_dir / "jobs"
    assert settings.redis_url is None
    assert (settings.workers, settings.warm, settings.host, settings.port) == (2, True, "127.0.0.1", 8000)
    assert (settings.max_running_per_user, settings.max_queued_per_user, settings.max_queue) == (2, 10, 200)
    assert settings.trusted_plugin_dirs == [BUNDLED_PLUGINS]
    assert settings.limits() == Limits()


def test_values_come_from_plotforge_environment_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLOTFORGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PLOTFORGE_WORKERS", "5")
    monkeypatch.setenv("PLOTFORGE_WARM", "false")
    monkeypatch.setenv("PLOTFORGE_PLUGIN_DIRS", f"/srv/plugins-a:{tmp_path}/b")
    monkeypatch.setenv("PLOTFORGE_JOB_WALL_CLOCK_S", "30")
    monkeypatch.setenv("PLOTFORGE_LOG_LEVEL", "DEBUG")
    settings = load_settings()
    assert settings.data_dir == tmp_path.resolve()
    assert settings.workers == 5 and settings.warm is False
    assert settings.plugin_dirs == [Path("/srv/plugins-a"), tmp_path / "b"]
    assert settings.limits().wall_clock_s == 30
    assert settings.log_level == "debug"


def test_overrides_win_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLOTFORGE_WORKERS", "5")
    assert load_settings(data_dir=tmp_path, workers="3").workers == 3
    assert load_settings(data_dir=tmp_path, workers=None).workers == 5  # None: not given


def test_a_bad_value_is_one_line_naming_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLOTFORGE_WORKERS", "lots")
    with pytest.raises(SettingsError) as caught:
        load_settings(data_dir=tmp_path)
    assert str(caught.value) == "PLOTFORGE_WORKERS must be an integer between 1 and 64 (got 'lots')"


def test_every_bad_value_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(data_dir=tmp_path, port="0", job_memory_mb="100", redis_url="http://cache:6379",
                      log_level="loud", database_url="mysql://db/plots")
    lines = str(caught.value).splitlines()
    assert lines == [
        "PLOTFORGE_DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL (got 'mysql://db/plots')",
        "PLOTFORGE_REDIS_URL must be a redis://, rediss:// or unix:// URL (got 'http://cache:6379')",
        "PLOTFORGE_JOB_MEMORY_MB must be an integer between 512 and 1048576 "
        "(R with ggplot2 needs 512 MB to start) (got '100')",
        "PLOTFORGE_PORT must be an integer between 1 and 65535 (got '0')",
        "PLOTFORGE_LOG_LEVEL must be one of critical, error, warning, info, debug, trace (got 'loud')",
    ]


def test_an_unknown_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="PLOTFORGE_WORKER_COUNT is not a setting"):
        load_settings(data_dir=tmp_path, worker_count=3)


def test_a_plain_postgresql_url_gets_the_psycopg_driver(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, database_url="postgresql://plot:pw@db/plotforge")
    assert settings.database_url == "postgresql+psycopg://plot:pw@db/plotforge"
    assert not settings.uses_sqlite


def test_the_secret_key_is_made_once_and_readable_by_the_owner_only(tmp_path: Path) -> None:
    first = load_settings(data_dir=tmp_path).secret_key
    key_file = tmp_path / SECRET_KEY_FILE
    assert first and len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_settings(data_dir=tmp_path).secret_key == first


def test_a_given_secret_key_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, secret_key="a-long-enough-secret-key")
    assert settings.secret_key == "a-long-enough-secret-key"
    assert not (tmp_path / SECRET_KEY_FILE).exists()
    with pytest.raises(SettingsError, match="PLOTFORGE_SECRET_KEY must be a string of at least 16 characters"):
        load_settings(data_dir=tmp_path, secret_key="short")


def test_trusted_plugin_folders(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, trusted_plugin_dirs=str(tmp_path / "trusted"))
    assert settings.is_trusted(tmp_path / "trusted" / "basic" / "volcano")
    assert not settings.is_trusted(BUNDLED_PLUGINS / "basic" / "volcano")
