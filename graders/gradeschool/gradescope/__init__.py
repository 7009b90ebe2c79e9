"""The Gradescope autograder package: `package` builds the zip, `autograder` is what its
run_autograder runs in Gradescope's container; `scripts/` holds its setup.sh and
run_autograder."""
