import pytest

from jointel.kb import KB, PROTOCOLS, PPRCandidates, RealisticCandidates, candidate_protocol, text_protocol


def test_candidate_protocol_builds_the_class_of_each_name(tiny_kb):
    with KB(tiny_kb.path) as kb:
        assert isinstance(candidate_protocol("realistic", kb, 30), RealisticCandidates)
        ppr = candidate_protocol("ppr", kb, 5)
    assert isinstance(ppr, PPRCandidates) and ppr.k == 5


def test_candidate_protocol_unknown_name_is_refused(tiny_kb):
    with KB(tiny_kb.path) as kb, pytest.raises(ValueError, match="unknown candidate protocol 'wiki': expected one of"):
        candidate_protocol("wiki", kb, 30)


def test_protocols_are_named_in_the_order_kb_stats_prints_them(tiny_kb):
    assert PROTOCOLS == ("realistic", "ppr", "wikipedia")
    with KB(tiny_kb.path) as kb:
        assert [candidate_protocol(name, kb, 30).name for name in PROTOCOLS] == list(PROTOCOLS)


def test_protocols_read_their_own_kb_tables(tiny_kb, tiny_documents):
    """Realistic reads the alias table whatever the document; PPR reads the document's own PPRforNED list."""
    mentions = [
        (document.number, " ".join(sentence.tokens[span.start : span.end]))
        for document in tiny_documents
        for sentence in document.sentences
        for span in sentence.spans
    ]
    with KB(tiny_kb.path) as kb:
        realistic, ppr = RealisticCandidates(kb, 30), PPRCandidates(kb, 30)
        assert all(realistic.candidates(number, surface) == kb.candidates(surface, 30) for number, surface in mentions)
        assert all(
            ppr.candidates(number, surface) == kb.ppr_candidates(number, surface, 30) for number, surface in mentions
        )
        assert any(ppr.candidates(n, s) != realistic.candidates(n, s) for n, s in mentions)  # they do differ


def test_the_wikipedia_protocol_gives_a_short_name_the_candidates_of_the_full_one(tiny_kb):
    """A lone "Janeiro" is unknown to the KB; after "Rio de Janeiro" in the same document it is Rio_de_Janeiro."""
    surfaces = ["Rio de Janeiro", "Paris", "Janeiro"]
    with KB(tiny_kb.path) as kb:
        protocol = candidate_protocol("wikipedia", kb, 30)
        lists = [protocol.candidates(1, surface) for surface in surfaces]
        assert lists[2] == []
        found = protocol.in_document(surfaces, lists)
        realistic = RealisticCandidates(kb, 30).in_document(surfaces, lists)
    assert [c.entity for c in found[2]] == ["Rio_de_Janeiro"]
    assert found[:2] == lists[:2]
    assert realistic == lists


def test_any_text_is_annotated_with_document_evidence_unless_the_model_needs_ppr_lists():
    assert [text_protocol(name) for name in ("realistic", "wikipedia", "ppr")] == [
        "wikipedia",
        "wikipedia",
        "realistic",
    ]
