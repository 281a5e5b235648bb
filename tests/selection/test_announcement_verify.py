"""The announcement's name search (a prefix, on an index, bounded input, paged), its policy download (the bytes the
run read, whose SHA-256 is the one shown), no personal data in either, and the re-run it describes: the same pool
and policy give the same list and the same input hash, made exactly as the page explains."""

from __future__ import annotations

import hashlib
import json
import re
import shlex

import pytest
from sqlalchemy import delete, select, text

from bench.pool_datagen import write_pool
from lms.extensions import db
from lms.selection import announcement
from lms.selection.models import SelectionEntry, SelectionQuota, SelectionRun
from lms.selection.runs import RunInputs, policy_bytes, run_selection
from tests.queries import counted, writes
from tests.selection.test_determination import published  # noqa: F401 (fixture)
from tests.selection.test_removal import NOW


def _pool(tmp_path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "pool.jsonl").read_text().splitlines() if line.strip()]


def _no_personal_data(body: str, pool: list[dict]) -> None:
    for candidate in pool:
        assert candidate["nik"] not in body
        assert candidate["email"] not in body
        assert candidate["tanggal_lahir"] not in body


def _listed(page: str) -> list[str]:
    return re.findall(r'data-testid="announcement-line"><td>[^<]*</td><td>([^<]*)</td>', page)


def test_search_by_the_start_of_a_name_ignores_case_and_spacing_and_pages(app, published):  # noqa: F811
    client = app.test_client()
    with app.app_context():
        run = db.session.get(SelectionRun, published.run_id)
        names = list(db.session.scalars(select(SelectionEntry.nama).where(
            SelectionEntry.run_id == run.id, SelectionEntry.status == "ditetapkan")))
        first = names[0].split()[0]
        expected = sorted(n for n in names if n.casefold().startswith(first.casefold()))
        # Paged like the other filters: two pages of two cover the first four matches, no line twice.
        pages = [announcement.lines_page(run, provinsi=None, kabkota=None, nama=first, page=p, per_page=2)
                 for p in (1, 2)]
        n = len(expected)
        assert pages[0].total == n and [len(p.rows) for p in pages] == [min(2, n), min(2, max(0, n - 2))]
        seen = [((line.kode_kabkota, line.rank), line.nama) for p in pages for line in p.rows]
        assert len(set(seen)) == len(seen) and all(nama.startswith(first) for _key, nama in seen)
    page = client.get(f"/pengumuman/{published.run_id}", query_string={"nama": f"  {first.upper()}  "})
    assert page.status_code == 200
    assert sorted(_listed(page.get_data(as_text=True))) == expected
    assert f'value="{first.upper()}"' in page.get_data(as_text=True)  # the search stays in the form
    nobody = client.get(f"/pengumuman/{published.run_id}", query_string={"nama": "zzzq"}).get_data(as_text=True)
    assert 'data-testid="no-lines"' in nobody and not _listed(nobody)


@pytest.mark.parametrize("nama", ["%", "_", "\\", "%%%_", "' OR 1=1 --", "s%"])
def test_wildcards_in_a_search_are_plain_characters(app, published, nama):  # noqa: F811
    response = app.test_client().get(f"/pengumuman/{published.run_id}", query_string={"nama": nama})
    assert response.status_code == 200 and not _listed(response.get_data(as_text=True))


@pytest.mark.parametrize("query", [{"nama": "a" * 101}, {"nama": "Siti\u200b"}, {"nama": "a\x07"},
                                   {"nama": "Siti", "page": "0"}, {"nama": "Siti", "page": "9" * 7},
                                   {"nama": "Siti", "provinsi": "9"}])
def test_bad_search_input_is_a_clean_422(app, published, query):  # noqa: F811
    response = app.test_client().get(f"/pengumuman/{published.run_id}", query_string=query)
    assert response.status_code == 422
    assert 'data-testid="filter-error"' in response.get_data(as_text=True)


def test_huge_and_past_the_end_input_is_never_a_500(app, published):  # noqa: F811
    client = app.test_client()
    url = f"/pengumuman/{published.run_id}"
    assert client.get(url, query_string={"nama": "x" * 100_000}).status_code == 422
    assert client.get(url + "?nama=%00").status_code == 422
    assert client.get(url + "?nama=%ff").status_code == 422
    far = client.get(url, query_string={"nama": "S", "page": "999999"})
    assert far.status_code == 200 and not _listed(far.get_data(as_text=True))


@pytest.mark.postgres
def test_the_name_search_is_an_index_range_on_postgresql(pg_app, tmp_path, frozen_clock):
    frozen_clock(NOW)
    with pg_app.app_context():
        run = run_selection(RunInputs(policy="pgt2024", pool=write_pool(tmp_path / "pool.jsonl", 300), total=60),
                            now=NOW)
        run.published_at = NOW
        db.session.commit()
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(db.session.scalars(text(
            "EXPLAIN SELECT count(*) FROM selection_entries WHERE run_id = :run AND nama_key LIKE 'siti%' "
            "AND status IN ('ditetapkan', 'dihapus')"), {"run": run.id}))
        db.session.rollback()
    assert "ix_selection_entries_run_nama_key" in plan and "Index Cond" in plan, plan
    assert "~>=~" in plan  # the prefix became a range of the text_pattern_ops index


def test_policy_download_is_the_file_the_run_read_with_the_hash_shown(app, published, tmp_path):  # noqa: F811
    client = app.test_client()
    page = client.get(f"/pengumuman/{published.run_id}").get_data(as_text=True)
    shown = re.findall(r'data-testid="policy-sha256">([0-9a-f]{64})<', page)
    links = re.findall(r'href="(/pengumuman/\d+/kebijakan/[^"]+)"', page)
    assert len(shown) == len(links) == 1
    download = client.get(links[0])
    assert download.status_code == 200 and download.mimetype == "text/yaml"
    assert hashlib.sha256(download.data).hexdigest() == shown[0]
    assert download.data == policy_bytes("pgt2024")  # what the run read (unchanged since)
    _no_personal_data(download.get_data(as_text=True), _pool(tmp_path))
    _no_personal_data(page, _pool(tmp_path))

    # The packaged file changing later does not change what the run is shown to have used.
    with app.app_context():
        run = db.session.get(SelectionRun, published.run_id)
        run.policy_files = {"pgt2024": "# versi yang dipakai\n" + run.policy_files["pgt2024"]}
        db.session.commit()
    page = client.get(f"/pengumuman/{published.run_id}").get_data(as_text=True)
    download = client.get(links[0])
    assert download.data.startswith(b"# versi yang dipakai\n")
    assert hashlib.sha256(download.data).hexdigest() in page and shown[0] not in page
    # A run made before runs kept their policy: the packaged file, said so.
    with app.app_context():
        db.session.get(SelectionRun, published.run_id).policy_files = None
        db.session.commit()
    page = client.get(f"/pengumuman/{published.run_id}").get_data(as_text=True)
    assert hashlib.sha256(client.get(links[0]).data).hexdigest() == shown[0] and shown[0] in page
    assert "berkas kebijakan saat ini" in page
    assert client.get(f"/pengumuman/{published.run_id}/kebijakan/sg2016-ppg.yaml").status_code == 404
    assert client.get(f"/pengumuman/{published.run_id}/kebijakan/..%2Fpgt2024.yaml").status_code == 404
    assert client.get("/pengumuman/999999/kebijakan/pgt2024.yaml").status_code == 404


def test_search_results_hold_no_personal_data_beyond_the_fields(app, published, tmp_path):  # noqa: F811
    client, pool = app.test_client(), _pool(tmp_path)
    for prefix in sorted({c["nama"].split()[0] for c in pool}):
        page = client.get(f"/pengumuman/{published.run_id}", query_string={"nama": prefix}).get_data(as_text=True)
        _no_personal_data(page, pool)
        assert not re.search(r"(?<![*\d])\d{16}(?!\d)", page)  # no full NIK of anyone


def test_rerunning_the_same_pool_and_policy_gives_the_same_list_and_hash(app, tmp_path):
    pool = write_pool(tmp_path / "pool.jsonl", 250)
    runner = app.test_cli_runner()
    outputs, hashes = [], []
    for attempt in range(2):
        out = tmp_path / f"hasil-{attempt}.csv"
        result = runner.invoke(args=["selection", "run", "--policy", "pgt2024", "--pool", str(pool), "--total", "45",
                                     "--out", str(out)])
        assert result.exit_code == 0, result.output
        hashes.append(re.search(r"input_hash=([0-9a-f]{64})", result.output).group(1))
        outputs.append(out.read_bytes())
        with app.app_context():  # forget the stored run: the second attempt computes everything again
            if attempt == 0:
                recipe_command = _command_shown(app, hashes[0])
            db.session.execute(delete(SelectionEntry))
            db.session.execute(delete(SelectionQuota))
            db.session.execute(delete(SelectionRun))
            db.session.commit()
    assert hashes[0] == hashes[1] and outputs[0] == outputs[1]
    assert outputs[0].count(b"\n") > 250  # a header line (or two), then every candidate
    # The input hash is made as the announcement explains.
    h = hashlib.sha256(policy_bytes("pgt2024") + b"\x00file\x00" + pool.read_bytes() + b"\x00file\x00"
                       + b"\x00pgt2024\x0045\x00None")
    assert h.hexdigest() == hashes[0]
    # And the command it shows, given the pool file, is the run.
    args = shlex.split(recipe_command)[1:]
    args[args.index("--pool") + 1], args[args.index("--out") + 1] = str(pool), str(tmp_path / "again.csv")
    result = runner.invoke(args=args)
    assert result.exit_code == 0 and f"input_hash={hashes[0]}" in result.output
    assert (tmp_path / "again.csv").read_bytes() == outputs[0]


def _command_shown(app, input_hash: str) -> str:
    run = db.session.scalar(select(SelectionRun).where(SelectionRun.input_hash == input_hash))
    run.published_at = NOW
    db.session.commit()
    page = app.test_client().get(f"/pengumuman/{run.id}").get_data(as_text=True)
    return re.search(r'data-testid="rerun-command">([^<]+)<', page).group(1)


#: The run (1), the quotas (1), the later changes (1), the list's count and one page of it (2).
ANNOUNCEMENT_STATEMENTS = 5


def test_announcement_statement_count_is_fixed_and_reads_only(app, published):  # noqa: F811
    client = app.test_client()
    url = f"/pengumuman/{published.run_id}"
    client.get(url)  # warm
    for query in ({}, {"nama": "s"}, {"nama": "siti", "provinsi": "11"}, {"nama": "zzzq"}, {"page": "99"}):
        with counted(app) as statements:
            response = client.get(url, query_string=query)
        assert response.status_code == 200
        listed = 'data-testid="announcement-line"' in response.get_data(as_text=True)
        # A search past its last match skips the page query: one statement less.
        assert len(statements) == ANNOUNCEMENT_STATEMENTS - (0 if listed else 1), (query, statements)
        assert writes(statements) == []
    with counted(app) as statements:
        assert client.get(url + "/kebijakan/pgt2024.yaml").status_code == 200
    assert len(statements) == 1 and writes(statements) == []
