"""Synthetic but valid participant data: NIKs with real kab/kota prefixes and birth dates."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

from lms.core.regions import kabkota_table

HEADER = ("nik", "nama", "email", "npsn", "satuan_pendidikan", "kode_kabkota")
FIRST = ("Siti", "Budi", "Dewi", "Agus", "Rina", "Andi", "Wayan", "Made", "Nur", "Yohanes", "Fitri", "Hendra")
LAST = ("Rahayu", "Santoso", "Lestari", "Pratama", "Wulandari", "Saputra", "Sitompul", "Kurniawan", "Manurung")


def nik_for(kode_kabkota: str, n: int, rng: random.Random) -> str:
    day = rng.randint(1, 28) + (40 if rng.random() < 0.6 else 0)
    return f"{kode_kabkota}{rng.randint(1, 30):02d}{day:02d}{rng.randint(1, 12):02d}{rng.randint(60, 99):02d}" \
           f"{n % 9999 + 1:04d}"


def rows(count: int, *, seed: int = 1, start: int = 0, domain: str = "guru.sd.belajar.id") -> Iterator[tuple]:
    rng = random.Random(seed)
    codes = sorted(kabkota_table())
    for i in range(start, start + count):
        kode = codes[i % len(codes)]
        nama = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        yield (nik_for(kode, i, rng), nama, f"peserta.{i:07d}@{domain}", f"{10000000 + i % 89999999:08d}",
               f"SD Negeri {i % 997 + 1} {kabkota_table()[kode][0]}", kode)


def write_csv(path: Path, count: int, **kwargs) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows(count, **kwargs))
    return path
