"""Settings of this package, read from the environment when the app is created."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def load(instance_path: Path, env: Mapping[str, str]) -> dict:
    return {
        # xAPI: off (no statement written, nothing sent) unless an endpoint is set, e.g. https://lrs.example/xAPI
        "XAPI_ENDPOINT": env.get("LMS_XAPI_ENDPOINT", "").strip(),
        "XAPI_USERNAME": env.get("LMS_XAPI_USERNAME", ""),
        "XAPI_PASSWORD": env.get("LMS_XAPI_PASSWORD", ""),
        "XAPI_BATCH_SIZE": int(env.get("LMS_XAPI_BATCH_SIZE", "100")),
        #: Failed sends before a statement goes to the dead-letter list.
        "XAPI_MAX_ATTEMPTS": int(env.get("LMS_XAPI_MAX_ATTEMPTS", "8")),
        "XAPI_TIMEOUT": float(env.get("LMS_XAPI_TIMEOUT", "10")),
        #: The credential signing keys (one JWK file each; the newest signs, all verify).
        "CREDENTIAL_KEY_DIR": env.get("LMS_CREDENTIAL_KEY_DIR") or str(instance_path / "credential_keys"),
        "CREDENTIAL_ISSUER_NAME": env.get("LMS_CREDENTIAL_ISSUER_NAME",
                                          "Sertifikasi Pendidik — PPG bagi Guru Tertentu"),
    }
