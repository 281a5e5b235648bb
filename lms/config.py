"""Settings, read from ``LMS_*`` environment variables when the app is created (never at import)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

DEFAULT_ALLOWED_DOMAINS = ("belajar.id",)
TRUE_VALUES = {"1", "true", "yes", "on"}
MIN_SECRET_LENGTH = 16
#: Secret keys that appear in documentation and examples; never accepted in production.
KNOWN_SECRETS = frozenset({"change-me", "changeme", "secret", "dev", "development", "...",
                           "test-secret-key-not-for-production"})


ENVIRONMENTS = ("development", "test", "production")
#: Rate-limit storages that only one process sees: each gunicorn worker would count on its own.
PER_PROCESS_STORAGES = ("memory://",)


class ConfigError(RuntimeError):
    """The environment describes a configuration that must not run. ``code`` is stable, for logs and tests."""

    def __init__(self, message: str, *, code: str = "config_invalid"):
        super().__init__(message)
        self.code = code


def _environment(env: Mapping[str, str]) -> str:
    """``LMS_ENV``: unset means development; anything but the three known names stops start-up (a typo such as
    ``prod`` must not quietly run with development settings and the development identity provider)."""
    raw = env.get("LMS_ENV")
    if raw is None:
        return "development"
    environment = raw.strip().lower()
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"LMS_ENV={raw!r} is not known: use one of {', '.join(ENVIRONMENTS)} "
                          "(unset means development).", code="config_unknown_env")
    return environment


def _ratelimit_storage(env: Mapping[str, str], redis_url: str, production: bool) -> str:
    storage = env.get("LMS_RATELIMIT_STORAGE_URL") or redis_url or "memory://"
    if production and storage.startswith(PER_PROCESS_STORAGES):
        raise ConfigError("LMS_ENV=production needs shared rate-limit storage: set LMS_RATELIMIT_STORAGE_URL or "
                          "LMS_REDIS_URL (e.g. redis://host:6379/0). Memory storage counts per worker process, so "
                          "`gunicorn -w N` would multiply the Cek NIK limits by N.", code="config_ratelimit_storage")
    return storage


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in TRUE_VALUES


def _domains(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return DEFAULT_ALLOWED_DOMAINS
    return tuple(d.strip().lower().rstrip(".") for d in raw.split(",") if d.strip())


def _derived(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"lms:{purpose}:{secret}".encode()).digest()


def _dev_secret_key(instance_path: Path) -> str:
    """A development secret kept under instance/, so sessions survive a restart of `make run`."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_config(instance_path: Path, env: Mapping[str, str] | None = None) -> dict:
    """Build the Flask config mapping from the environment."""
    env = os.environ if env is None else env
    environment = _environment(env)
    production = environment == "production"
    dev_idp = _flag(env, "LMS_DEV_IDP")
    if production and dev_idp:
        raise ConfigError("LMS_DEV_IDP=1 is refused when LMS_ENV=production: the development provider lets anyone in.",
                          code="config_dev_idp")

    secret_key = env.get("LMS_SECRET_KEY", "").strip()
    if production and (len(secret_key) < MIN_SECRET_LENGTH or secret_key in KNOWN_SECRETS):
        raise ConfigError(f"LMS_SECRET_KEY must be set when LMS_ENV=production, to a random value of at least "
                          f"{MIN_SECRET_LENGTH} characters (not an example value).", code="config_secret_key")
    if not secret_key:
        secret_key = _dev_secret_key(instance_path)

    base_url = env.get("LMS_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    issuer = env.get("LMS_OIDC_ISSUER", "").rstrip("/")
    if not issuer and dev_idp:
        issuer = f"{base_url}/dev-idp"
    client_id = env.get("LMS_OIDC_CLIENT_ID") or ("lms-dev" if dev_idp else "")
    client_secret = env.get("LMS_OIDC_CLIENT_SECRET") or ""
    if dev_idp and not client_secret:
        # Both sides of the embedded provider derive the same secret; nothing to configure.
        client_secret = hmac.new(secret_key.encode(), b"lms-dev-idp-client", hashlib.sha256).hexdigest()

    nik_hmac_key = env.get("LMS_NIK_HMAC_KEY")
    nik_encryption_key = env.get("LMS_NIK_ENCRYPTION_KEY")
    if production and not (nik_hmac_key and nik_encryption_key):
        raise ConfigError("LMS_NIK_HMAC_KEY and LMS_NIK_ENCRYPTION_KEY must be set when LMS_ENV=production "
                          "(NIK is personal data: its lookup hash and its encryption need their own keys).",
                          code="config_nik_keys")

    clock_file = env.get("LMS_CLOCK_FILE") or None
    if production and clock_file:
        raise ConfigError("LMS_CLOCK_FILE (a test clock) is refused when LMS_ENV=production.", code="config_clock_file")

    database_url = env.get("LMS_DATABASE_URL") or f"sqlite:///{instance_path / 'lms.sqlite'}"
    broker_url = env.get("LMS_BROKER_URL") or "filesystem://"
    redis_url = env.get("LMS_REDIS_URL", "")
    ratelimit_storage = _ratelimit_storage(env, redis_url, production)

    return {
        "ENV_NAME": environment,
        "PRODUCTION": production,
        "SECRET_KEY": secret_key,
        "BASE_URL": base_url,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        "SQLALCHEMY_RECORD_QUERIES": _flag(env, "LMS_RECORD_QUERIES"),
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": client_id,
        "OIDC_CLIENT_SECRET": client_secret,
        "OIDC_REQUIRE_HD": _flag(env, "LMS_OIDC_REQUIRE_HD", default=True),
        "ALLOWED_EMAIL_DOMAINS": _domains(env.get("LMS_ALLOWED_EMAIL_DOMAINS")),
        "DEV_IDP": dev_idp,
        "DEV_IDP_ISSUER": f"{base_url}/dev-idp",
        "DEV_IDP_KEY_PATH": env.get("LMS_DEV_IDP_KEY_PATH") or str(instance_path / "dev_idp_key.json"),
        "BROKER_URL": broker_url,
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": ratelimit_storage,
        "API_TOKEN_DEFAULT_DAYS": int(env.get("LMS_API_TOKEN_DAYS", "30")),
        # Development defaults are derived from the secret key; production sets its own (see above).
        "NIK_HMAC_KEY": nik_hmac_key.encode() if nik_hmac_key else _derived(secret_key, "nik-hmac"),
        "NIK_ENCRYPTION_KEY": nik_encryption_key.encode() if nik_encryption_key
        else base64.urlsafe_b64encode(_derived(secret_key, "nik-fernet")),
        "MAIL_SERVER": env.get("LMS_MAIL_SERVER", ""),
        "MAIL_PORT": int(env.get("LMS_MAIL_PORT", "587")),
        "MAIL_USE_TLS": _flag(env, "LMS_MAIL_USE_TLS", default=True),
        "MAIL_USERNAME": env.get("LMS_MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("LMS_MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("LMS_MAIL_SENDER", "Sertifikasi Pendidik <noreply@belajar.id>"),
        # Seconds a worker may hold an outbox message it is sending before another worker sends it again.
        "OUTBOX_CLAIM_TIMEOUT": int(env.get("LMS_OUTBOX_CLAIM_TIMEOUT", "900")),
        "NIK_CHECK_LIMIT_ACCOUNT": env.get("LMS_NIK_CHECK_LIMIT_ACCOUNT", "10/hour"),
        "NIK_CHECK_LIMIT_ADDRESS": env.get("LMS_NIK_CHECK_LIMIT_ADDRESS", "60/hour"),
        "PROXY_FIX": _flag(env, "LMS_PROXY_FIX"),
        # Seconds a running job (a roster import) may go without a heartbeat before another worker takes it again.
        "JOB_LEASE_SECONDS": int(env.get("LMS_JOB_LEASE_SECONDS", "600")),
        "ROSTER_SYNC_MAX_BYTES": int(env.get("LMS_ROSTER_SYNC_MAX_BYTES", str(512 * 1024))),
        "UPLOAD_FOLDER": str(instance_path / "uploads"),
        "SESSION_COOKIE_NAME": "lms_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
        "LANGUAGES": ("id", "en"),
        # Bearer token of GET /metrics (no token: no endpoint); JSON log lines in production unless told otherwise.
        "METRICS_TOKEN": env.get("LMS_METRICS_TOKEN") or None,
        "LOG_FORMAT": (env.get("LMS_LOG_FORMAT") or ("json" if production else "text")).strip().lower(),
        # Every periodic task's interval times this (fault tests run the beat fast).
        "BEAT_INTERVAL_SCALE": float(env.get("LMS_BEAT_INTERVAL_SCALE", "1")),
        # A test clock for whole processes (lms/core/time.py); never in production.
        "CLOCK_FILE": clock_file,
    }


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # Web threads and the worker share the file: wait for a lock instead of failing at once.
        return {"connect_args": {"timeout": 30}}
    # No pool_pre_ping: it costs a round trip on every checkout, i.e. on every request. A connection the server
    # dropped (a restart) fails its first statement instead; SQLAlchemy then recognises the disconnect and discards
    # the whole pool, so the next request connects afresh.
    return {"pool_size": 10, "max_overflow": 20, "json_deserializer": _json_column}


_JSON_DECODER = json.JSONDecoder()


def _json_column(data: bytes):
    """A ``json``/``jsonb`` value as psycopg receives it (UTF-8 bytes, the client encoding): decoded by one decoder
    built once. psycopg's default, ``json.loads`` on bytes, first works out the encoding, for each value."""
    return _JSON_DECODER.decode(data.decode("utf-8"))
