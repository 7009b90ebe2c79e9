"""Notebooks: nbgrader source notebooks generated from solutions/, their grade cells, and
submitted notebooks turned back into topic modules.

- `source`: a topic's source notebook (theory, one solution cell and one locked grade
  cell per exercise) from `solutions/<topic>.py`, no third copy to maintain;
- `provided`: what a notebook needs but does not ask for (earlier topics' functions, the
  exercises left out of the assignment), given without showing their code;
- `cells`: the grade cell's source and the `grade` it calls inside the kernel;
- `convert`: the code cells of submitted notebooks, grade cells left out, as topic modules
  that `gradeschool grade` grades like any submission;
- `course`: nbgrader's course folder and configuration;
- `gradebook`: `gradeschool nbgrader autograde`, the isolated grader's scores written into
  nbgrader's gradebook."""
