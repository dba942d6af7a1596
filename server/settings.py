"""The server's settings: environment variables named PLOTFORGE_*, or overrides from the command line.

`load_settings()` is the one way in. It checks every value at start-up and reports each bad
one on a line of its own, in the operator's terms (the variable name, what it must be, what
it got), instead of a pydantic traceback.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from plugin_sdk.loader import BUNDLED_PLUGINS
from plugin_sdk.runtime.limits import Limits

ENV_PREFIX = "PLOTFORGE_"
SECRET_KEY_FILE = "secret_key"
LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]

PathList = Annotated[list[Path], NoDecode]  # read "a:b:c" ourselves, not as JSON


class SettingsError(ValueError):
    """One or more settings are wrong; the message has one line per bad value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", validate_default=True)

    data_dir: Path = Path("./var")
    database_url: str = ""  # empty: SQLite in data_dir
    redis_url: str | None = None  # None: the embedded backend
    redis_password: str | None = None
    plugin_dirs: PathList = Field(default_factory=list)
    trusted_plugin_dirs: PathList = Field(default_factory=lambda: [BUNDLED_PLUGINS])
    workers: int = Field(2, ge=1, le=64)
    warm: bool = True
    spares: bool = True  # keep a job process ready ahead of the next R plot (about 100 MB each)

    job_wall_clock_s: float = Field(300.0, gt=0, le=86_400)
    job_memory_mb: int = Field(4096, ge=512, le=1_048_576)
    job_cpu_s: int = Field(600, ge=1, le=86_400)
    job_output_mb: int = Field(512, ge=1, le=1_048_576)
    job_max_processes: int = Field(64, ge=4, le=4096)

    max_running_per_user: int = Field(2, ge=1, le=1000)
    max_queued_per_user: int = Field(10, ge=1, le=100_000)
    max_queue: int = Field(200, ge=1, le=1_000_000)
    max_upload_mb: int = Field(50, ge=1, le=10_240)

    secret_key: str | None = None  # None: generated once, kept in data_dir/secret_key
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: LogLevel = "info"

    @field_validator("plugin_dirs", "trusted_plugin_dirs", mode="before")
    @classmethod
    def _split_path_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in value.split(os.pathsep) if part.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_case_level(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("redis_url", "redis_password", "secret_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("redis_url")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 16:
            raise ValueError("secret_key")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_driver(cls, value: str) -> str:
        value = value.strip()
        # psycopg 3 is the driver we install; SQLAlchemy would otherwise reach for psycopg2.
        for bare in ("postgresql://", "postgres://"):
            if value.startswith(bare):
                return "postgresql+psycopg://" + value[len(bare):]
        if value and not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("database_url")
        return value

    @model_validator(mode="after")
    def _derived_paths(self) -> Settings:
        self.data_dir = self.data_dir.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'plotforge.db'}"
        return self

    # -- derived values ---------------------------------------------------------------------

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def limits(self) -> Limits:
        """What one job may use, in the runtime's terms."""
        return Limits(
            wall_clock_s=self.job_wall_clock_s,
            memory_mb=self.job_memory_mb,
            cpu_s=self.job_cpu_s,
            output_mb=self.job_output_mb,
            max_processes=self.job_max_processes,
        )

    def is_trusted(self, plugin_path: Path) -> bool:
        """Whether a plugin folder lies under one of the trusted roots (untrusted ones get a sandbox)."""
        resolved = plugin_path.resolve()
        return any(resolved.is_relative_to(root.expanduser().resolve()) for root in self.trusted_plugin_dirs)


# What each setting must be, in the words of the error message.
_EXPECTED = {
    "data_dir": "a folder path",
    "database_url": "a sqlite:/// or postgresql+psycopg:// URL",
    "redis_url": "a redis://, rediss:// or unix:// URL",
    "redis_password": "a string",
    "plugin_dirs": f"folder paths separated by '{os.pathsep}'",
    "trusted_plugin_dirs": f"folder paths separated by '{os.pathsep}'",
    "workers": "an integer between 1 and 64",
    "warm": "true or false",
    "spares": "true or false",
    "job_wall_clock_s": "a number of seconds above 0 and at most 86400",
    "job_memory_mb": "an integer between 512 and 1048576 (R with ggplot2 needs 512 MB to start)",
    "job_cpu_s": "an integer between 1 and 86400",
    "job_output_mb": "an integer between 1 and 1048576",
    "job_max_processes": "an integer between 4 and 4096",
    "max_running_per_user": "an integer between 1 and 1000",
    "max_queued_per_user": "an integer between 1 and 100000",
    "max_queue": "an integer between 1 and 1000000",
    "max_upload_mb": "an integer between 1 and 10240",
    "secret_key": "a string of at least 16 characters",
    "host": "a host name or address",
    "port": "an integer between 1 and 65535",
    "log_level": "one of critical, error, warning, info, debug, trace",
}


def _describe(error: dict[str, Any]) -> str:
    field = str(error["loc"][0]) if error.get("loc") else ""
    name = ENV_PREFIX + field.upper() if field else "PLOTFORGE settings"
    if error.get("type") == "extra_forbidden":
        return f"{name} is not a setting"
    expected = _EXPECTED.get(field, "valid")
    return f"{name} must be {expected} (got {error.get('input')!r})"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment with ``overrides`` on top (None means "not given").

    Raises `SettingsError` listing every bad value. Creates the data folder and, unless a
    secret key is set, the key file in it.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        settings = Settings(**given)
    except ValidationError as exc:
        lines = list(dict.fromkeys(_describe(error) for error in exc.errors()))
        raise SettingsError("\n".join(lines)) from None
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"{ENV_PREFIX}DATA_DIR cannot be created ({settings.data_dir}: {exc.strerror})") from None
    if settings.secret_key is None:
        settings.secret_key = _stored_secret_key(settings.data_dir / SECRET_KEY_FILE)
    return settings


def _stored_secret_key(path: Path) -> str:
    """The key kept in ``path``, made on first use and readable by the owner only."""
    try:
        existing = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting together must not each write a different key.
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip() or key
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    return key
