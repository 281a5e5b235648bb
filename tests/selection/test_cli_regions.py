"""`lms selection assign-region` and `assign-province` (one implementation): the role granted, the region tied, and
a province code that does not exist refused before anything is written."""

from __future__ import annotations

from sqlalchemy import select

from lms.auth import services as auth_services
from lms.auth.models import User
from lms.extensions import db
from lms.selection.models import DinasRegion


def _regions(email: str) -> list[str]:
    user = auth_services.find_user(email)
    return list(db.session.scalars(select(DinasRegion.kode_kabkota)
                                                           .where(DinasRegion.user_id == user.id)))


def test_each_command_grants_its_role_and_ties_the_region(app, runner):
    region = runner.invoke(args=["selection", "assign-region", "dinas.cli@belajar.id", "7371"])
    province = runner.invoke(args=["selection", "assign-province", "lpmp.cli@belajar.id", "73"])
    assert region.exit_code == 0 and region.output == "dinas.cli@belajar.id: dinas for 7371\n", region.output
    assert province.exit_code == 0 and province.output == "lpmp.cli@belajar.id: lpmp for province 73\n"
    again = runner.invoke(args=["selection", "assign-province", "lpmp.cli@belajar.id", "73"])
    assert again.exit_code == 0  # idempotent
    with app.app_context():
        assert _regions("dinas.cli@belajar.id") == ["7371"] and _regions("lpmp.cli@belajar.id") == ["73"]
        assert auth_services.find_user("dinas.cli@belajar.id").has_any_role("dinas")
        assert auth_services.find_user("lpmp.cli@belajar.id").has_any_role("lpmp")
        assert not auth_services.find_user("lpmp.cli@belajar.id").has_any_role("dinas")


def test_an_unknown_province_is_refused_and_nothing_is_written(app, runner):
    refused = runner.invoke(args=["selection", "assign-province", "lpmp.salah@belajar.id", "99"])
    assert refused.exit_code != 0 and "unknown province code '99'" in refused.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "lpmp.salah@belajar.id")) is None
