"""The course's CI leaderboard, as the course workflow runs it (templates/github/course.yml
calls these through `gradeschool leaderboard plan|collect|publish`, so a local test runs
exactly what CI runs):

- `roster`: leaderboard/roster.csv read robustly, and split into shards for a job matrix;
- `collect`: each repository of a shard fetched at its latest pushed commit and graded
  with the course's own copy of the kit (never the student's), reports signed with the
  course key;
- `publish`: the shards' reports stored in the leaderboard and the page written;
- `keys`: the course key in CI, never a key made up on the spot."""
