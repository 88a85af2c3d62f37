from jointel.cli.provenance import write_section


def test_write_section_replaces_a_section_and_keeps_one_final_newline(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Results\n\nprose\n")
    write_section(path, "table", "| a |\n")
    write_section(path, "other", "x")
    for _ in range(3):
        write_section(path, "table", "| b |")
    assert path.read_text() == (
        "# Results\n\nprose\n\n<!-- table:start -->\n| b |\n<!-- table:end -->\n\n"
        "<!-- other:start -->\nx\n<!-- other:end -->\n"
    )
