from jointel.evaluate.prf import PRF, count


def test_prf_scores_from_counts():
    # P = 3/4 = 0.75, R = 3/5 = 0.6, F1 = 2 * 0.75 * 0.6 / 1.35 = 0.6667
    prf = PRF(tp=3, fp=1, fn=2)
    assert prf.precision == 0.75
    assert prf.recall == 0.6
    assert abs(prf.f1 - 2 / 3) < 1e-12


def test_prf_undefined_scores_are_zero_as_conlleval():
    assert (PRF().precision, PRF().recall, PRF().f1) == (0.0, 0.0, 0.0)
    assert (PRF(fp=2).precision, PRF(fp=2).recall) == (0.0, 0.0)
    assert PRF(fn=2).precision == 0.0


def test_prf_addition_pools_counts():
    assert PRF(1, 2, 3) + PRF(10, 20, 30) == PRF(11, 22, 33)


def test_count_exact_matches():
    assert count({"a", "b", "c"}, {"b", "c", "d", "e"}) == PRF(tp=2, fp=2, fn=1)
