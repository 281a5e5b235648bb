"""A determined demo selection run: candidates in the demo dinas account's kab/kota (Makassar) and around it,
so that the dinas can propose a removal and the LPMP can decide one."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from lms.extensions import db
from lms.selection import runs
from lms.selection.models import SelectionRun

POOL_NAME = "demo-calon.jsonl"
#: Makassar (the demo dinas account's) first, then other kab/kota of Sulawesi Selatan: one quota group.
KABKOTA = ("7371", "7371", "7371", "7302", "7303", "7304")
FIRST = ("Siti", "Budi", "Dewi", "Agus", "Rina", "Andi", "Nur", "Fitri", "Hendra", "Yusuf")
LAST = ("Rahayu", "Santoso", "Lestari", "Pratama", "Wulandari", "Saputra", "Kurniawan", "Hasanuddin")
CANDIDATES, TOTAL = 60, 24


def _candidate(i: int, rng: random.Random) -> dict:
    kode = KABKOTA[i % len(KABKOTA)]
    born = date(1970, 1, 1) + timedelta(days=rng.randint(0, 365 * 20))
    appointed = min(born + timedelta(days=rng.randint(365 * 22, 365 * 30)), date(2015, 12, 31))
    day = born.day + (40 if i % 3 else 0)
    return {
        "nik": f"{kode}01{day:02d}{born.month:02d}{born.year % 100:02d}{i + 1:04d}",
        "nuptk": f"{7300000000000000 + i}", "nama": f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}",
        "email": f"calon.demo{i:03d}@guru.sd.belajar.id", "tanggal_lahir": born.isoformat(), "kode_kabkota": kode,
        "npsn": f"{40310000 + i:08d}", "satuan_pendidikan": f"SD Negeri {i % 40 + 1} {kode}",
        "status_kepegawaian": ("PNS", "GTY")[i % 2], "tmt_pengangkatan": appointed.isoformat(),
        "akta_notaris_yayasan": True, "sk_berturut_tahun": 2 + i % 8, "sk_pejabat_daerah": True,
        "kualifikasi": [{"jenjang": "S-1", "tanggal_lulus": (appointed - timedelta(days=400)).isoformat(),
                         "prodi_terakreditasi": True}],
        "riwayat_mengajar": [{"mulai": appointed.isoformat(), "selesai": None, "jenis": "PNS"}],
        "tidak_mengajar": [], "ukg_skor": round(rng.uniform(50, 95), 1), "ukg_tahun": 2015, "surat_sehat": True,
        "pangkat_golongan": ("III/a", "III/b", "III/c", "IV/a")[i % 4],
        "dapodik_sejak": (appointed + timedelta(days=200)).isoformat(), "daerah_3t": False,
        "memenuhi_administrasi_2023": True, "tidak_lulus_tahun_lalu": False,
    }


def load_demo_selection(folder: Path, *, now: datetime) -> SelectionRun | None:
    """Run the demo selection once (idempotent: an existing demo run is kept as it is, with its decisions)."""
    for params in db.session.scalars(select(SelectionRun.params).where(SelectionRun.status == "done")):
        if (params or {}).get("pool") == POOL_NAME:
            return None
    rng = random.Random(2024)
    folder.mkdir(parents=True, exist_ok=True)
    pool = folder / POOL_NAME
    pool.write_text("".join(json.dumps(_candidate(i, rng)) + "\n" for i in range(CANDIDATES)), encoding="utf-8")
    return runs.run_selection(runs.RunInputs(policy="pgt2024", pool=pool, total=TOTAL, pool_name=POOL_NAME), now=now)
