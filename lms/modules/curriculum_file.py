"""Curriculum files (YAML): validation with errors named by their path in the file, and the import."""

from __future__ import annotations

import string
from typing import Any

import yaml
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from lms.core.errors import Invalid
from lms.core.events import emit
from lms.curriculum.models import Curriculum, Materi, Module
from lms.extensions import db
from lms.journal.models import JournalEntry, Prompt
from lms.modules.models import MateriProgress
from lms.posttest.models import Attempt, Option, Question

LETTERS = string.ascii_uppercase


class CurriculumErrors(Invalid):
    message = _l("Berkas kurikulum tidak valid.")


class _Checker:
    def __init__(self):
        self.errors: dict[str, str] = {}

    def fail(self, path: str, message) -> None:
        self.errors.setdefault(path, str(message))

    def text(self, node: dict, key: str, path: str, *, max_length: int = 200, required: bool = True) -> str:
        value = node.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{path}.{key}", _l("wajib diisi (teks)"))
            return ""
        if len(value) > max_length:
            self.fail(f"{path}.{key}", _l("terlalu panjang (maksimal %(n)s karakter)", n=max_length))
        return value.strip()

    def integer(self, node: dict, key: str, path: str, low: int, high: int, default: int | None = None) -> int:
        value = node.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(f"{path}.{key}", _l("harus bilangan bulat %(low)s–%(high)s", low=low, high=high))
            return low
        return value

    def items(self, node: dict, key: str, path: str, low: int, high: int) -> list:
        value = node.get(key)
        if not isinstance(value, list) or not low <= len(value) <= high:
            self.fail(f"{path}.{key}", _l("harus daftar berisi %(low)s–%(high)s butir", low=low, high=high))
            return value if isinstance(value, list) else []
        return value

    def mapping(self, node: Any, path: str) -> dict:
        if not isinstance(node, dict):
            self.fail(path, _l("harus berupa objek (key: value)"))
            return {}
        return node


def parse_curriculum(source: str) -> dict:
    """Parse and validate; raises ``CurriculumErrors`` with every problem keyed by its path."""
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"baris {mark.line + 1}" if mark else "berkas"
        problem = getattr(exc, "problem", exc)
        raise CurriculumErrors(details={where: str(_l("YAML tidak valid: %(e)s", e=problem))}) from exc
    c = _Checker()
    root = c.mapping(data, "$")
    out = {"code": c.text(root, "code", "$", max_length=40), "title": c.text(root, "title", "$"),
           "sequential": root.get("sequential", False), "modules": []}
    if not isinstance(out["sequential"], bool):
        c.fail("$.sequential", _l("harus true atau false"))
    codes = set()
    for i, raw in enumerate(c.items(root, "modules", "$", 1, 100)):
        path = f"modules[{i}]"
        node = c.mapping(raw, path)
        module = {"code": c.text(node, "code", path, max_length=20), "title": c.text(node, "title", path),
                  "summary": c.text(node, "summary", path, max_length=2000, required=False)}
        if module["code"] in codes:
            c.fail(f"{path}.code", _l("kode modul %(code)s dipakai dua kali", code=module["code"]))
        codes.add(module["code"])
        module["materi"] = [_materi(c, m, f"{path}.materi[{j}]") for j, m in
                            enumerate(c.items(node, "materi", path, 1, 50))]
        posttest = c.mapping(node.get("posttest"), f"{path}.posttest")
        module["questions"] = [_question(c, q, f"{path}.posttest.questions[{j}]") for j, q in
                               enumerate(c.items(posttest, "questions", f"{path}.posttest", 1, 100))]
        journal = c.mapping(node.get("journal"), f"{path}.journal")
        module["prompts"] = [_prompt(c, p, f"{path}.journal.prompts[{j}]") for j, p in
                             enumerate(c.items(journal, "prompts", f"{path}.journal", 1, 20))]
        out["modules"].append(module)
    if c.errors:
        raise CurriculumErrors(details=c.errors)
    return out


def _materi(c: _Checker, raw, path: str) -> dict:
    node = c.mapping(raw, path)
    video = node.get("video_url")
    if video is not None and (not isinstance(video, str) or not video.startswith("https://")):
        c.fail(f"{path}.video_url", _l("harus alamat https://"))
    return {"title": c.text(node, "title", path), "body_md": c.text(node, "body", path, max_length=100_000),
            "minutes": c.integer(node, "minutes", path, 1, 600, default=10), "video_url": video}


def _question(c: _Checker, raw, path: str) -> dict:
    node = c.mapping(raw, path)
    options = c.items(node, "options", path, 4, 5)
    texts = []
    for k, option in enumerate(options):
        if not isinstance(option, str | int | float) or not str(option).strip():
            c.fail(f"{path}.options[{k}]", _l("wajib diisi (teks)"))
        texts.append(str(option).strip())
    answer = node.get("answer")
    valid = [LETTERS[k] for k in range(len(options))]
    if not isinstance(answer, str) or answer.strip().upper() not in valid:
        c.fail(f"{path}.answer", _l("harus salah satu huruf pilihan: %(letters)s", letters=", ".join(valid) or "-"))
        answer_index = 0
    else:
        answer_index = valid.index(answer.strip().upper())
    return {"text": c.text(node, "text", path, max_length=5000), "options": texts, "answer": answer_index,
            "explanation": c.text(node, "explanation", path, max_length=5000)}


def _prompt(c: _Checker, raw, path: str) -> dict:
    node = c.mapping(raw, path)
    return {"text": c.text(node, "text", path, max_length=2000),
            "min_length": c.integer(node, "min_length", path, 0, 10_000, default=100)}


def _in_use(curriculum: Curriculum) -> bool:
    module_ids = select(Module.id).where(Module.curriculum_id == curriculum.id)
    materi_ids = select(Materi.id).where(Materi.module_id.in_(module_ids))
    return bool(db.session.scalar(select(
        exists().where(MateriProgress.materi_id.in_(materi_ids))
        | exists().where(Attempt.module_id.in_(module_ids))
        | exists().where(JournalEntry.module_id.in_(module_ids)))))


def _shape(modules) -> list:
    # The answer key is part of the shape: changing it would contradict the stored practice scores.
    return [(m["code"], len(m["materi"]), len(m["questions"]),
             [(len(q["options"]), q["answer"]) for q in m["questions"]], len(m["prompts"])) for m in modules]


def _existing_shape(curriculum: Curriculum) -> list:
    shape = []
    for module in curriculum.modules:
        questions = db.session.scalars(select(Question).where(Question.module_id == module.id)
                                       .order_by(Question.position)).all()
        prompts = db.session.scalars(select(Prompt).where(Prompt.module_id == module.id)).all()
        keys = [(len(q.options), next(i for i, o in enumerate(q.options) if o.is_correct)) for q in questions]
        shape.append((module.code, len(module.materi), len(questions), keys, len(prompts)))
    return shape


def import_curriculum(data: dict) -> tuple[Curriculum, str]:
    """Create, or update in place. A curriculum participants have started may only change its text."""
    curriculum = db.session.scalar(select(Curriculum).where(Curriculum.code == data["code"]))
    if curriculum is None:
        curriculum = Curriculum(code=data["code"], title=data["title"], sequential=data["sequential"])
        db.session.add(curriculum)
        _build(curriculum, data["modules"])
        db.session.flush()
        return curriculum, "created"
    if _in_use(curriculum):
        if _shape(data["modules"]) != _existing_shape(curriculum):
            raise CurriculumErrors(_l(
                "Kurikulum %(code)s sudah dipakai peserta: hanya teksnya yang boleh diubah, bukan susunan modul, "
                "materi, soal, kunci jawaban, atau pertanyaan jurnal. Impor sebagai kurikulum dengan kode baru.",
                code=data["code"]))
        curriculum.title, curriculum.sequential = data["title"], data["sequential"]
        _bump_version(curriculum)
        _update_text(curriculum, data["modules"])
        db.session.flush()
        return curriculum, "updated"
    curriculum.title, curriculum.sequential = data["title"], data["sequential"]
    _bump_version(curriculum)
    for module in list(curriculum.modules):
        db.session.delete(module)
    db.session.flush()
    _build(curriculum, data["modules"])
    db.session.flush()
    emit("curriculum.changed", curriculum_id=curriculum.id)  # re-totals its cohorts' progress, one statement
    return curriculum, "replaced"


def _bump_version(curriculum: Curriculum) -> None:
    """Every edit bumps the version (in SQL, so concurrent imports each count): the processes' cached structure
    of this curriculum (``lms.modules.cache``) is then stale, and the next request reloads it."""
    curriculum.version = Curriculum.version + 1


def _build(curriculum: Curriculum, modules: list[dict]) -> None:
    for position, m in enumerate(modules, start=1):
        module = Module(position=position, code=m["code"], title=m["title"], summary=m["summary"])
        curriculum.modules.append(module)
        for k, item in enumerate(m["materi"], start=1):
            module.materi.append(Materi(position=k, **item))
        db.session.flush()
        for k, q in enumerate(m["questions"], start=1):
            question = Question(module_id=module.id, position=k, text=q["text"], explanation=q["explanation"])
            question.options = [Option(position=j, text=t, is_correct=(j - 1 == q["answer"]))
                                for j, t in enumerate(q["options"], start=1)]
            db.session.add(question)
        for k, p in enumerate(m["prompts"], start=1):
            db.session.add(Prompt(module_id=module.id, position=k, **p))


def _update_text(curriculum: Curriculum, modules: list[dict]) -> None:
    for module, m in zip(curriculum.modules, modules, strict=True):
        module.title, module.summary = m["title"], m["summary"]
        for materi, item in zip(module.materi, m["materi"], strict=True):
            materi.title, materi.body_md, materi.minutes, materi.video_url = (
                item["title"], item["body_md"], item["minutes"], item["video_url"])
        questions = db.session.scalars(select(Question).where(Question.module_id == module.id)
                                       .order_by(Question.position)).all()
        for question, q in zip(questions, m["questions"], strict=True):
            question.text, question.explanation = q["text"], q["explanation"]
            for j, option in enumerate(question.options):
                option.text = q["options"][j]
        prompts = db.session.scalars(select(Prompt).where(Prompt.module_id == module.id)
                                     .order_by(Prompt.position)).all()
        for prompt, p in zip(prompts, m["prompts"], strict=True):
            prompt.text, prompt.min_length = p["text"], p["min_length"]
