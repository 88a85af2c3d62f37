"""Readers of the PPRforNED archive and the Freebase popularity file."""

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from jointel.data import DataFormatError
from jointel.kb.sources import PPR_FILE, read_freebase_popularity, read_ppr

ENTITY = "ENTITY\ttext:Rio\tnormalName:rio\tpredictedType:UNK\tq:true\tqid:Q7\tdocId:3\torigText:Rio\turl:{url}"
CANDIDATE = (
    "CANDIDATE\tid:{id}\tinCount:{count}\toutCount:1\tlinks:\turl:http://en.wikipedia.org/wiki/{title}\t"
    "name:x\tnormalName:x\tnormalWikiTitle:x\tpredictedType:{kind}\t"
)


def write_archive(path: Path, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            member = tarfile.TarInfo(f"AIDA_candidates/PART_1_1000/{name}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return path


def test_read_ppr_keeps_file_order_and_reads_fields(kb_data_dir):
    mentions = read_ppr(kb_data_dir / PPR_FILE)
    assert [mention.doc for mention in mentions] == [1, 1, 2, 2, 3, 3, 3, 4, 4, 4]
    argentina = mentions[5]
    assert (argentina.text, argentina.orig_text) == ("Argentina", "Argentina")
    assert argentina.entity == "Argentina_national_football_team"
    assert [candidate.entity for candidate in argentina.candidates] == [
        "Argentina_national_football_team",
        "Argentina_national_rugby_union_team",
        "Argentina",
    ]
    assert (argentina.candidates[2].page_id, argentina.candidates[2].in_count) == (18951, 25000)
    assert argentina.candidates[2].type == "GPE"


def test_read_ppr_nil_url_and_unknown_type_are_none(kb_data_dir):
    eu = read_ppr(kb_data_dir / PPR_FILE)[0]
    assert eu.entity is None
    assert eu.candidates[1].entity == "Europium"
    assert eu.candidates[1].type is None


def test_read_ppr_candidate_before_entity_names_file_and_line(tmp_path):
    path = write_archive(tmp_path / PPR_FILE, {"7": CANDIDATE.format(id=1, count=2, title="X", kind="UNK")})
    with pytest.raises(DataFormatError, match=r"PART_1_1000/7:1: expected an ENTITY line"):
        read_ppr(path)


def test_read_ppr_misplaced_candidate_column_is_an_error(tmp_path):
    bad = CANDIDATE.format(id=1, count="many", title="X", kind="UNK").replace("inCount:", "outCount:", 1)
    path = write_archive(tmp_path / PPR_FILE, {"7": ENTITY.format(url="NIL") + "\n" + bad})
    with pytest.raises(DataFormatError, match=r"7:2: CANDIDATE column 3 should be inCount"):
        read_ppr(path)


def test_read_ppr_archive_without_candidate_files_is_an_error(tmp_path):
    path = write_archive(tmp_path / PPR_FILE, {"readme.txt": "hello"})
    with pytest.raises(DataFormatError, match="no ENTITY lines"):
        read_ppr(path)


def test_read_freebase_popularity_skips_lines_without_url_or_score(tmp_path):
    path = tmp_path / "popularity.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("url:http://en.wikipedia.org/wiki/Paris\t7.5\nNIL\t1.0\nurl:http://en.wikipedia.org/wiki/X\t\n")
    assert read_freebase_popularity(path) == {"Paris": 7.5}
