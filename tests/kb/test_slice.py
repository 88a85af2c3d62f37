from jointel.kb import KB
from jointel.kb.slice import slice_realistic


def test_slice_realistic_keeps_aliases_and_drops_ppr_lists(tiny_kb, tmp_path):
    target = slice_realistic(tiny_kb.path, tmp_path / "shipped" / "kb.sqlite")
    with KB(tiny_kb.path) as source, KB(target) as sliced:
        assert sliced.counts()["ppr_entries"] == 0
        assert source.counts()["ppr_entries"] > 0
        assert sliced.counts()["alias_entries"] == source.counts()["alias_entries"]
        assert sliced.candidates("Paris") == source.candidates("Paris")
        # without its PPR lists the KB answers the PPR protocol with the alias table
        assert sliced.ppr_candidates(4, "Paris") == source.candidates("Paris")
        # the links of train documents' lists only: what the realistic protocol reads
        assert (source.counts()["links"], sliced.counts()["links"]) == (2, 1)
        assert sliced.ppr_links_among(1, ["Germany", "European_Union"]) == {}
        assert sliced.links_among(["Germany", "European_Union"]) == {
            "Germany": {"European_Union"},
            "European_Union": {"Germany"},
        }
    assert [path.name for path in target.parent.iterdir()] == ["kb.sqlite"]  # no temporary file left
