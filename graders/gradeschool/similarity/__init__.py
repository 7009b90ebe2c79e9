"""Similarity hints for instructors (`gradeschool similar`): per exercise, pairs of
submissions ranked by how much of their code overlaps after renaming is undone
(copydetect's winnowing, the method behind MOSS), copies of the reference solution
flagged, and an HTML report. Hints for a person to look at, never a verdict."""
