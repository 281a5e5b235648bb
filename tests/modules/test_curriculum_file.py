"""Curriculum YAML files: validation by path, the `lms curriculum import` command, updates of curricula in use,
and the shipped demo curriculum."""

from __future__ import annotations

import copy
import string
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from lms.curriculum.models import Curriculum, Materi, Module
from lms.extensions import db
from lms.journal.models import Prompt
from lms.modules.curriculum_file import CurriculumErrors, parse_curriculum
from lms.modules.models import MateriProgress
from lms.posttest.models import Option, Question
from tests.learning import curriculum_data, log_in

DEMO = Path(__file__).resolve().parents[2] / "lms" / "modules" / "data" / "demo_curriculum.yaml"


def as_file(data: dict) -> dict:
    """The YAML layout of a curriculum given in the importer's shape (``tests.learning.curriculum_data``)."""
    return {"code": data["code"], "title": data["title"], "sequential": data["sequential"], "modules": [
        {"code": m["code"], "title": m["title"], "summary": m["summary"],
         "materi": [{"title": x["title"], "body": x["body_md"], "minutes": x["minutes"]} for x in m["materi"]],
         "posttest": {"questions": [{"text": q["text"], "options": q["options"],
                                     "answer": string.ascii_uppercase[q["answer"]], "explanation": q["explanation"]}
                                    for q in m["questions"]]},
         "journal": {"prompts": [dict(p) for p in m["prompts"]]}}
        for m in data["modules"]]}


def dump(layout: dict) -> str:
    return yaml.safe_dump(layout, allow_unicode=True, sort_keys=False)


def errors_of(source: str) -> dict[str, str]:
    with pytest.raises(CurriculumErrors) as caught:
        parse_curriculum(source)
    assert caught.value.code == "invalid"
    return caught.value.details


@pytest.fixture
def layout() -> dict:
    return as_file(curriculum_data(code="KUR-BERKAS", questions=2, prompts=2))


# --- parse_curriculum ---------------------------------------------------------------------------------------------

def test_a_valid_file_parses_to_the_importer_shape():
    data = curriculum_data(code="KUR-BERKAS", modules=2, materi=3, questions=2, prompts=2)
    assert parse_curriculum(dump(as_file(data))) == data


def test_answer_must_be_one_of_the_option_letters(layout):
    layout["modules"][0]["posttest"]["questions"][1]["answer"] = "E"  # 4 options: A–D
    errors = errors_of(dump(layout))
    assert list(errors) == ["modules[0].posttest.questions[1].answer"]
    assert "A, B, C, D" in errors["modules[0].posttest.questions[1].answer"]


def test_a_module_without_materi_is_reported_by_its_path(layout):
    layout["modules"][1]["materi"] = []
    assert list(errors_of(dump(layout))) == ["modules[1].materi"]
    del layout["modules"][1]["materi"]
    assert list(errors_of(dump(layout))) == ["modules[1].materi"]


@pytest.mark.parametrize("value", [-1, "dua puluh", 2.5, True])
def test_min_length_must_be_a_non_negative_integer(layout, value):
    layout["modules"][0]["journal"]["prompts"][0]["min_length"] = value
    assert list(errors_of(dump(layout))) == ["modules[0].journal.prompts[0].min_length"]


def test_several_errors_are_reported_at_once(layout):
    layout["modules"][0]["posttest"]["questions"][1]["answer"] = "Z"
    layout["modules"][1]["materi"] = []
    layout["modules"][0]["journal"]["prompts"][0]["min_length"] = -5
    layout["modules"][0]["posttest"]["questions"][0]["options"] = ["satu", "dua", "tiga"]
    layout["modules"][1]["code"] = "M1"
    layout["modules"][0]["materi"][0]["video_url"] = "http://video.example/a"
    del layout["title"]
    errors = errors_of(dump(layout))
    assert set(errors) == {
        "$.title",
        "modules[0].posttest.questions[1].answer",
        "modules[1].materi",
        "modules[0].journal.prompts[0].min_length",
        "modules[0].posttest.questions[0].options",
        "modules[1].code",
        "modules[0].materi[0].video_url",
    }
    assert all(message for message in errors.values())


def test_missing_sections_are_reported_by_path(layout):
    del layout["modules"][0]["posttest"]
    layout["modules"][1]["journal"] = "tidak ada"
    errors = errors_of(dump(layout))
    assert "modules[0].posttest.questions" in errors
    assert "modules[1].journal" in errors


def test_sequential_must_be_a_boolean(layout):
    layout["sequential"] = "false"
    assert list(errors_of(dump(layout))) == ["$.sequential"]


def test_a_file_that_is_not_a_mapping_is_refused():
    assert "$" in errors_of("- satu\n- dua\n")


def test_bad_yaml_reports_the_line():
    source = "code: KUR-X\ntitle: Kurikulum\nmodules:\n  - code: M1\n    title: [tidak ditutup\n    summary: x\n"
    errors = errors_of(source)
    assert len(errors) == 1
    (where, message), = errors.items()
    assert where.startswith("baris ") and "YAML" in message
    assert int(where.removeprefix("baris ")) in (5, 6)


# --- the CLI ------------------------------------------------------------------------------------------------------

def counts(app) -> dict[str, int]:
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Curriculum, Module, Materi, Question, Option, Prompt)}


def run_import(app, path: Path):
    return app.test_cli_runner().invoke(args=["curriculum", "import", str(path)])


def test_cli_imports_a_valid_file(app, tmp_path, layout):
    path = tmp_path / "kurikulum.yaml"
    path.write_text(dump(layout), encoding="utf-8")
    result = run_import(app, path)
    assert result.exit_code == 0, result.output
    assert "KUR-BERKAS: created (2 modules)" in result.output
    assert counts(app) == {"Curriculum": 1, "Module": 2, "Materi": 4, "Question": 4, "Option": 16, "Prompt": 4}
    with app.app_context():
        curriculum = db.session.scalar(select(Curriculum))
        question = db.session.scalars(select(Question).order_by(Question.id)).first()
        assert (curriculum.code, curriculum.modules[1].materi[1].title) == ("KUR-BERKAS", "Materi 2.2")
        assert [o.is_correct for o in question.options] == [False, True, False, False]


def test_cli_refuses_a_file_with_errors_lists_the_paths_and_creates_nothing(app, tmp_path, layout):
    layout["modules"][0]["posttest"]["questions"][1]["answer"] = "Q"
    layout["modules"][1]["materi"] = []
    path = tmp_path / "kurikulum.yaml"
    path.write_text(dump(layout), encoding="utf-8")
    result = run_import(app, path)
    assert result.exit_code == 1
    assert "modules[0].posttest.questions[1].answer" in result.output
    assert "modules[1].materi" in result.output
    assert set(counts(app).values()) == {0}


def test_cli_refuses_a_file_that_is_not_utf8(app, tmp_path, layout):
    layout["title"] = "Kurikulum Pendidikan Anak Usia Dini – édisi khusus"
    path = tmp_path / "kurikulum.yaml"
    path.write_bytes(dump(layout).replace("–", "-").encode("latin-1"))
    result = run_import(app, path)
    assert result.exit_code != 0
    assert "UTF-8" in result.output
    assert set(counts(app).values()) == {0}


def test_cli_reports_a_missing_file(app, tmp_path):
    result = run_import(app, tmp_path / "tidak-ada.yaml")
    assert result.exit_code != 0 and "tidak-ada.yaml" in result.output


def test_reimporting_the_same_file_changes_nothing(app, tmp_path, layout):
    path = tmp_path / "kurikulum.yaml"
    path.write_text(dump(layout), encoding="utf-8")
    assert run_import(app, path).exit_code == 0
    before = counts(app)
    result = run_import(app, path)
    assert result.exit_code == 0, result.output
    assert "KUR-BERKAS:" in result.output and "(2 modules)" in result.output
    assert counts(app) == before
    with app.app_context():
        titles = db.session.scalars(select(Materi.title).order_by(Materi.title)).all()
    assert titles == ["Materi 1.1", "Materi 1.2", "Materi 2.1", "Materi 2.2"]


@pytest.fixture
def in_use(app, learning, tmp_path, layout, during):
    """KUR-BERKAS imported from a file, followed by a cohort whose participant completed a materi."""
    path = tmp_path / "kurikulum.yaml"
    path.write_text(dump(layout), encoding="utf-8")
    assert run_import(app, path).exit_code == 0
    with app.app_context():
        curriculum_id = db.session.scalar(select(Curriculum.id))
    learning.participant(cohort_id=learning.cohort(curriculum_id=curriculum_id))
    client = app.test_client()
    headers = learning.headers()
    materi_id = client.get("/api/v1/me/progress", headers=headers).get_json()["modules"][0]["materi"][0]["id"]
    assert client.post(f"/api/v1/materi/{materi_id}/complete", headers=headers).status_code == 200
    return path


def test_a_curriculum_in_use_accepts_a_text_only_change(app, in_use, layout):
    changed = copy.deepcopy(layout)
    changed["modules"][0]["materi"][0]["title"] = "Materi 1.1 (revisi)"
    changed["modules"][0]["posttest"]["questions"][0]["explanation"] = "Penjelasan yang diperbaiki"
    before = counts(app)
    in_use.write_text(dump(changed), encoding="utf-8")
    result = run_import(app, in_use)
    assert result.exit_code == 0, result.output
    assert "KUR-BERKAS: updated" in result.output
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MateriProgress)) == 1
        materi = db.session.scalar(select(Materi).join(MateriProgress, MateriProgress.materi_id == Materi.id))
        assert materi.title == "Materi 1.1 (revisi)"
        assert "Penjelasan yang diperbaiki" in db.session.scalars(select(Question.explanation)).all()


def test_a_curriculum_in_use_refuses_a_structural_change_and_keeps_everything(app, in_use, layout):
    changed = copy.deepcopy(layout)
    changed["title"] = "Judul baru"
    changed["modules"][0]["materi"][0]["title"] = "Judul materi baru"
    changed["modules"][0]["materi"].append({"title": "Materi tambahan", "body": "Isi.", "minutes": 5})
    before = counts(app)
    in_use.write_text(dump(changed), encoding="utf-8")
    result = run_import(app, in_use)
    assert result.exit_code == 1
    assert "KUR-BERKAS" in result.output and "updated" not in result.output
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(Curriculum.title)) == "Kurikulum KUR-BERKAS"
        assert sorted(db.session.scalars(select(Materi.title)).all()) == [
            "Materi 1.1", "Materi 1.2", "Materi 2.1", "Materi 2.2"]
        assert db.session.scalar(select(func.count()).select_from(MateriProgress)) == 1


# --- the shipped demo curriculum ----------------------------------------------------------------------------------

def test_the_demo_curriculum_parses_and_is_complete_enough():
    data = parse_curriculum(DEMO.read_text(encoding="utf-8"))
    assert len(data["modules"]) >= 4
    for module in data["modules"]:
        assert len(module["materi"]) >= 3, module["code"]
        assert all(m["body_md"].strip() for m in module["materi"])
        assert len(module["questions"]) >= 5, module["code"]
        for question in module["questions"]:
            assert 4 <= len(question["options"]) <= 5
            assert question["explanation"].strip()
        assert len(module["prompts"]) >= 2, module["code"]


def test_changing_the_answer_key_of_a_curriculum_in_use_keeps_results_consistent(app, learning, in_use, layout):
    client = app.test_client()
    headers = learning.headers()
    module = client.get("/api/v1/me/progress", headers=headers).get_json()["modules"][0]
    for materi in module["materi"]:
        client.post(f"/api/v1/materi/{materi['id']}/complete", headers=headers)
    with app.app_context():
        questions = db.session.scalars(select(Question).where(Question.module_id == module["id"])).all()
        right = {str(q.id): next(o.id for o in q.options if o.is_correct) for q in questions}
    attempt = client.post(f"/api/v1/posttests/{module['id']}/attempts", json={"answers": right}, headers=headers)
    assert attempt.get_json()["score"] == 2

    changed = copy.deepcopy(layout)
    changed["modules"][0]["posttest"]["questions"][0]["answer"] = "D"
    in_use.write_text(dump(changed), encoding="utf-8")
    run_import(app, in_use)

    page = log_in(app, "guru.satu@guru.sd.belajar.id").get(f"/sertifikasi/modul/{module['id']}/post-test/hasil")
    html = page.get_data(as_text=True)
    assert "Nilai latihan: 2 dari 2" in html
    assert html.count("card feedback right") == 2
