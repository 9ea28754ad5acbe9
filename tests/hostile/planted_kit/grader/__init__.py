"""A planted `grader` package: `python -m grader` run inside the submission must not import it."""
