"""build_kb(): contents of the tiny KB, atomic writing, and the train-only rule of the realistic protocol."""

import shutil
import sqlite3
import tarfile

import pytest

import jointel.kb.build
from jointel.data import DataFormatError, load_corpus
from jointel.kb import KB, PprCoverage, build_kb


def aliases_of(path, entity):
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT a.alias FROM aliases a JOIN entities e ON e.id = a.entity_id WHERE e.title = ? ORDER BY a.alias",
            (entity,),
        ).fetchall()
    return [alias for (alias,) in rows]


def test_build_kb_counts_every_entity_of_gold_and_ppr(tiny_kb):
    # 17 distinct PPR candidates; the AIDA gold titles are all among them.
    assert tiny_kb.stats.entities == 17
    with KB(tiny_kb.path) as kb:
        assert len(kb) == 17
        assert kb.counts()["entities"] == 17


def test_build_kb_entity_facts_come_from_ppr_and_freebase(tiny_kb):
    with KB(tiny_kb.path) as kb:
        paris = kb.entity("Paris")
        rio_grande = kb.entity("Rio_Grande")
    assert (paris.page_id, paris.type, paris.in_count, paris.freebase) == (22989, "GPE", 30000, 7.5)
    assert paris.popularity == pytest.approx(10.308986, abs=1e-6)  # log1p(30000)
    assert (rio_grande.type, rio_grande.freebase) == (None, None)  # UNK type; empty Freebase score


def test_build_kb_coverage_counts_direct_aligned_and_missing(tiny_kb):
    assert tiny_kb.stats.coverage == {
        # EU, German by surface; Peter Blackburn (NIL) has no PPR line
        "train": PprCoverage(direct=3, aligned=2, missing=1),  # "Phil" | "Mickelson" aligned to "Phil Mickelson"
        "testa": PprCoverage(direct=2, aligned=1, missing=0),  # "Rio de Janeiro" aligned to PPR's "Rio"
        "testb": PprCoverage(direct=3, aligned=0, missing=0),
    }


def test_build_kb_realistic_aliases_come_only_from_train_and_titles(tiny_kb):
    # "Rio" is only in the testa PPR file; "Argentina" → the football team only in testa gold and PPR.
    assert "rio" not in aliases_of(tiny_kb.path, "Rio_de_Janeiro")
    assert aliases_of(tiny_kb.path, "Argentina_national_football_team") == ["argentina national football team"]
    with KB(tiny_kb.path) as kb:
        assert kb.candidates("Rio") == []
        assert [candidate.entity for candidate in kb.candidates("Argentina")] == ["Argentina"]


def test_build_kb_train_evidence_gives_aliases(tiny_kb):
    assert "german" in aliases_of(tiny_kb.path, "Germany")  # AIDA train gold
    assert "mickelson" in aliases_of(tiny_kb.path, "Phil_Mickelson")  # train gold piece and PER surname
    assert "eu" in aliases_of(tiny_kb.path, "Europium")  # train PPR list of a NIL mention


def test_build_kb_records_sources_and_weights(tiny_kb):
    with KB(tiny_kb.path) as kb:
        meta = kb.meta
    assert meta["schema_version"] == "3"
    assert len(meta["sha256:ppr_aida_candidates.tar.gz"]) == 64
    assert '"ppr": 0.05' in meta["weights"]
    assert meta["train_documents"] == "2"


def test_build_kb_leaves_no_temporary_file(tiny_kb):
    assert [path.name for path in tiny_kb.path.parent.iterdir()] == ["kb.sqlite"]


def test_build_kb_interrupted_write_leaves_no_file(kb_data_dir, tmp_path, monkeypatch):
    fill = jointel.kb.build._fill

    def fill_then_die(db, *args):
        fill(db, *args)
        raise KeyboardInterrupt  # killed after every row was written, before the rename

    monkeypatch.setattr(jointel.kb.build, "_fill", fill_then_die)
    out = tmp_path / "kb.sqlite"
    with pytest.raises(KeyboardInterrupt):
        build_kb(load_corpus(kb_data_dir), kb_data_dir, out)
    assert list(tmp_path.iterdir()) == []


def test_build_kb_failed_rebuild_keeps_the_old_kb(kb_data_dir, tiny_kb, tmp_path):
    out = tmp_path / "kb.sqlite"
    out.write_bytes(tiny_kb.path.read_bytes())
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "aida").mkdir()
    with pytest.raises(FileNotFoundError, match=r"ppr_aida_candidates\.tar\.gz"):
        build_kb(tiny_kb.corpus, broken, out)
    assert out.read_bytes() == tiny_kb.path.read_bytes()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["broken", "kb.sqlite"]


def test_build_kb_bad_ppr_line_is_a_data_error(kb_data_dir, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(kb_data_dir, data_dir)
    member = data_dir / "9"
    member.write_text("CANDIDATE\tid:1\n")
    with tarfile.open(data_dir / "ppr_aida_candidates.tar.gz", "w:gz") as archive:
        archive.add(member, arcname="AIDA_candidates/PART_1_1000/9")
    with pytest.raises(DataFormatError, match="PART_1_1000/9:1"):
        build_kb(load_corpus(data_dir), data_dir, tmp_path / "kb.sqlite")
    assert not (tmp_path / "kb.sqlite").exists()


def test_build_kb_links_by_protocol(tiny_kb):
    assert tiny_kb.stats.links == 2  # doc 2's link to a page id outside the document is dropped
    titles = ["Germany", "European_Union", "Germany_national_football_team", "Argentina_national_football_team"]
    germany_eu = {"Germany": {"European_Union"}, "European_Union": {"Germany"}}
    teams = {"Argentina_national_football_team": {"Germany_national_football_team"}}
    teams["Germany_national_football_team"] = {"Argentina_national_football_team"}  # doc 3 lists it one way only
    with KB(tiny_kb.path) as kb:
        assert kb.has_links
        assert kb.counts()["links"] == 2
        # realistic: train documents' links only; doc 1 left out, nothing else supports Germany–EU
        assert kb.links_among([*titles, "Not_in_the_KB"]) == germany_eu
        assert kb.links_among(titles, leave_out=1) == {}
        assert kb.links_among(titles, leave_out=2) == germany_eu
        # ppr: the document's own list
        assert kb.ppr_links_among(1, titles) == germany_eu
        assert kb.ppr_links_among(3, titles) == teams
        # as positions in the titles asked for, both ways, in any one order: what the model's features read
        asked = ["Not_in_the_KB", "European_Union", "Argentina_national_football_team", "Germany"]
        assert sorted(kb.link_pairs(asked).tolist()) == [[1, 3], [3, 1]]
        assert sorted(kb.link_pairs(asked, leave_out=2).tolist()) == [[1, 3], [3, 1]]
        assert kb.link_pairs(asked, leave_out=1).shape == (0, 2)
        assert sorted(kb.ppr_link_pairs(3, [*asked, "Germany_national_football_team"]).tolist()) == [[2, 4], [4, 2]]
    with KB(tiny_kb.path, cache_size=2) as kb:  # entity ids are memoised; a memo too small to hold them is emptied
        assert kb.links_among(titles) == kb.links_among(reversed(titles)) == germany_eu
        assert kb.links_among(titles[:2]) == germany_eu
        assert kb.ppr_links_among(2, titles) == {}
        assert kb.ppr_links_among(3, ["Germany_national_football_team"]) == {}


def test_kb_without_a_links_table_knows_no_links(tiny_kb, tmp_path):
    old = tmp_path / "old.sqlite"
    shutil.copy(tiny_kb.path, old)
    with sqlite3.connect(old) as db:
        db.execute("DROP TABLE entity_links")
        db.execute("DROP TABLE ppr_links")
    with KB(old) as kb:
        assert not kb.has_links
        assert kb.counts()["links"] == 0
        assert (
            kb.links_among(["Germany", "European_Union"]) == kb.ppr_links_among(1, ["Germany", "European_Union"]) == {}
        )
