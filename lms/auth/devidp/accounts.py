"""The accounts the development provider offers (SPEC §6 demo accounts)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DevAccount:
    sub: str
    email: str
    name: str
    email_verified: bool = True
    #: The Google-Workspace-style hosted-domain claim; None for consumer accounts.
    hd: str | None = "belajar.id"
    #: Shown on the chooser page to explain what the account is for.
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


DEMO_ACCOUNTS: tuple[DevAccount, ...] = (
    DevAccount("dev-guru-0001", "guru.demo@guru.sd.belajar.id", "Guru Demo", note="Guru peserta (DEMO)"),
    DevAccount("dev-guru-0002", "guru.belum.demo@guru.sd.belajar.id", "Guru Belum Terdaftar",
               note="Guru yang tidak ada di daftar peserta (coba Cek NIK)"),
    DevAccount("dev-admin-0001", "admin.demo@belajar.id", "Admin Angkatan Demo", note="admin_angkatan"),
    DevAccount("dev-bantuan-0001", "bantuan.demo@belajar.id", "Pusat Bantuan Demo", note="helpdesk"),
    DevAccount("dev-super-0001", "super.demo@belajar.id", "Superadmin Demo", note="superadmin"),
    DevAccount("dev-dinas-0001", "dinas.demo@belajar.id", "Dinas Demo",
               note="dinas (Kota Makassar, 7371): mengusulkan penghapusan calon peserta"),
    DevAccount("dev-lpmp-0001", "lpmp.demo@belajar.id", "LPMP Demo",
               note="lpmp: menyetujui atau menolak usulan penghapusan"),
    DevAccount("dev-tamu-0001", "tamu.demo@gmail.com", "Tamu Demo", hd=None, note="Bukan akun belajar.id: ditolak"),
)


def accounts_from_config(config) -> tuple[DevAccount, ...]:
    extra = tuple(DevAccount(**a) if isinstance(a, dict) else a for a in config.get("DEV_IDP_EXTRA_ACCOUNTS", ()))
    return DEMO_ACCOUNTS + extra
