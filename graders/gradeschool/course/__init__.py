"""Course administration on top of `grade-all`: the course file (course.toml: topics,
due dates, late policy, extensions, roster), submission times, the course gradebook with
per-topic columns and late penalties, exports an LMS imports, and CSV cells that are safe
to open in a spreadsheet. It reads the signed reports that grading wrote; it never grades."""
