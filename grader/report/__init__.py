"""Reports: pure functions of a GradeResult (terminal, JSON, JUnit XML, GitHub summary, Gradescope)."""
