"""Synthetic candidate pools (JSON Lines) for selection tests and benchmarks: valid NIKs, real kab/kota."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from lms.core.regions import kabkota_table
from lms.selection.policy import load_policy

FIRST = ("Siti", "Budi", "Dewi", "Agus", "Rina", "Andi", "Wayan", "Made", "Nur", "Yohanes", "Fitri", "Hendra")
LAST = ("Rahayu", "Santoso", "Lestari", "Pratama", "Wulandari", "Saputra", "Sitompul", "Kurniawan", "Manurung")


def _nik(kode: str, born: date, female: bool, n: int) -> str:
    day = born.day + (40 if female else 0)
    return f"{kode}01{day:02d}{born.month:02d}{born.year % 100:02d}{n % 9999 + 1:04d}"


def candidate(i: int, rng: random.Random, codes: list[str], *, policy: str = "pgt2024") -> dict:
    kode = codes[i % len(codes)]
    born = date(1965, 1, 1) + timedelta(days=rng.randint(0, 365 * 30))
    # Appointed between 22 and 35 years old, and not after 2015.
    appointed = min(born + timedelta(days=rng.randint(365 * 22, 365 * 35)), date(2015, 12, 31))
    graduated = appointed - timedelta(days=rng.randint(100, 2000))
    record = {
        "nik": _nik(kode, born, rng.random() < 0.6, i), "nuptk": f"{rng.randint(10**15, 10**16 - 1)}",
        "nama": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "email": f"calon.{i:07d}@guru.sd.belajar.id",
        "tanggal_lahir": born.isoformat(), "kode_kabkota": kode, "npsn": f"{10000000 + i % 89999999:08d}",
        "satuan_pendidikan": f"SD Negeri {i % 997 + 1}",
        "status_kepegawaian": rng.choice(("PNS", "PNS", "GTY", "GT")), "tmt_pengangkatan": appointed.isoformat(),
        "akta_notaris_yayasan": True, "sk_berturut_tahun": rng.randint(1, 10), "sk_pejabat_daerah": True,
        "kualifikasi": [{"jenjang": "S-1", "tanggal_lulus": graduated.isoformat(), "prodi_terakreditasi": True}],
        "riwayat_mengajar": [{"mulai": appointed.isoformat(), "selesai": None, "jenis": "PNS"}],
        "tidak_mengajar": [],
        "ukg_skor": round(rng.uniform(40, 95), 1), "ukg_tahun": 2015, "surat_sehat": True,
        "pangkat_golongan": rng.choice(("III/a", "III/b", "III/c", "III/d", "IV/a")),
        "dapodik_sejak": (appointed + timedelta(days=rng.randint(0, 2000))).isoformat(),
        "daerah_3t": rng.random() < 0.1, "memenuhi_administrasi_2023": rng.random() < 0.9,
        "tidak_lulus_tahun_lalu": rng.random() < 0.02,
    }
    return record


def pool(count: int, *, seed: int = 7, policy: str = "pgt2024") -> Iterator[dict]:
    rng = random.Random(seed)
    regions = load_policy(policy).regions if policy in ("pgt2024",) else None
    codes = sorted(regions) if regions else sorted(kabkota_table())
    for i in range(count):
        yield candidate(i, rng, codes, policy=policy)


def write_pool(path: Path, count: int, **kwargs) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for record in pool(count, **kwargs):
            f.write(json.dumps(record, separators=(",", ":")) + "\n")
    return path
