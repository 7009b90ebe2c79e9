"""leaderboard/roster.csv as instructors' editors write it, and its shards."""

import pytest

from gradeschool.classroom.roster import RosterError, parse_roster, parse_shard, plan, read_roster, shard

pytestmark = pytest.mark.kit

PEOPLE = [("uni/alice-dl", "ada"), ("uni/bob-dl", "grace hopper"), ("uni/carol.dl", "linus_t")]


@pytest.mark.parametrize("layout", ["lf", "crlf", "cr", "bom-crlf", "no-final-newline", "blank-and-comments",
                                    "spaces"])
def test_roster_layouts_read_the_same(tmp_path, layout):
    lines = [f"{repo},{name}" for repo, name in PEOPLE]
    text = {
        "lf": "\n".join(lines) + "\n",
        "crlf": "\r\n".join(lines) + "\r\n",
        "cr": "\r".join(lines) + "\r",
        "bom-crlf": "\ufeff" + "\r\n".join(lines) + "\r\n",
        "no-final-newline": "\n".join(lines),
        "blank-and-comments": "# owner/repository,pseudonym\n\n" + "\n\n".join(lines) + "\n  \n# the end\n",
        "spaces": "\n".join(f"  {repo} ,  {name}  " for repo, name in PEOPLE),
    }[layout]
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode("utf-8"))
    assert [(p.repo, p.name) for p in read_roster(path)] == PEOPLE


@pytest.mark.parametrize("text, problem", [
    ("uni/alice\n", "line 1: expected"),
    ("uni/alice,ada\nnot a repo,bob\n", "line 2: expected"),
    ("uni/alice,a@b.org\n", "line 1: expected"),
    ("uni/alice,ada\nuni/ALICE,bob\n", "line 2: repository 'uni/alice' is already on line 1"),
    ("uni/alice,ada\n\nuni/bob,ada\n", "line 3: pseudonym 'ada' is already on line 1"),
])
def test_malformed_roster_lines_are_named(text, problem):
    with pytest.raises(RosterError, match=problem):
        parse_roster(text)


def test_roster_that_is_not_utf8_is_refused(tmp_path):
    (tmp_path / "r.csv").write_bytes(b"uni/alice,\xe9\n")
    with pytest.raises(RosterError, match="not UTF-8"):
        read_roster(tmp_path / "r.csv")


@pytest.mark.parametrize("count, per_shard, shards", [(0, 10, 0), (1, 10, 1), (10, 10, 1), (205, 10, 21)])
def test_shards_cover_the_roster_once(count, per_shard, shards):
    people = parse_roster("".join(f"o/r{i},p{i}\n" for i in range(count)))
    names = plan(people, per_shard)
    assert len(names) == shards
    parts = [shard(people, *parse_shard(n)) for n in names]
    assert sorted(p.name for part in parts for p in part) == sorted(p.name for p in people)
    assert all(len(part) <= per_shard for part in parts)


@pytest.mark.parametrize("text", ["3/3", "-1/2", "1", "a/b", "1/0"])
def test_bad_shard_names_are_refused(text):
    with pytest.raises(RosterError, match="expected I/N"):
        parse_shard(text)
