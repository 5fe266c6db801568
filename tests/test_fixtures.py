def test_cast_builds(cast):
    assert cast.local.upstream == cast.regional
    assert cast.regional.upstream_chain() == [cast.tso]
