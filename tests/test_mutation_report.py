"""make mutants' report: equivalent survivors are counted apart, and a stale list is reported."""

from __future__ import annotations

import json

from tests import mutation_report as report


def test_equivalent_survivors_leave_the_score_and_a_stale_entry_is_named(tmp_path, monkeypatch, capsys):
    meta = tmp_path / "mutants" / "generator" / "cache.py.meta"
    meta.parent.mkdir(parents=True)
    codes = {"generator.cache.x_f__mutmut_1": 1, "generator.cache.x_f__mutmut_2": 0,
             "generator.cache.x_f__mutmut_3": 0, "generator.cache.x_f__mutmut_4": 1}
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    listed = tmp_path / "equivalent.toml"
    listed.write_text('[[mutant]]\nwhy = "same"\nnames = ["generator.cache.x_f__mutmut_3", '
                      '"generator.cache.x_f__mutmut_4", "generator.cache.x_f__mutmut_9"]\n')
    monkeypatch.setattr(report, "RESULTS", tmp_path / "mutants")
    monkeypatch.setattr(report, "EQUIVALENT", listed)
    assert report.main([]) == 0
    out = capsys.readouterr().out
    cache = next(line.split() for line in out.splitlines() if line.startswith("generator/cache.py"))
    # 4 mutants: 2 killed, 1 survived, 1 equivalent; the score is 2 of the 3 that are not equivalent
    assert cache[1:7] == ["4", "2", "1", "1", "0", "0"] and cache[7] == "66.7%"
    assert (tmp_path / "mutants" / "survivors.txt").read_text() == "generator.cache.x_f__mutmut_2\n"
    # _4 is killed now and _9 no longer exists: both are to be judged again
    assert "generator.cache.x_f__mutmut_4, generator.cache.x_f__mutmut_9" in out
