"""The offline assistant's own evaluation (issue 25): realistic customer DMs and short exchanges, kept as data, each
answered exactly as production answers it and judged against the database and the reply.

- `cases`: the cases (cases/*.toml), read and checked (`load_cases`, `CaseError`);
- `catalogue`: the evaluation's own stock (catalogue.toml), read and put on sale (`read_catalogue`,
  `load_catalogue`);
- `runner`: each case played in a transaction rolled back afterwards (`run_cases`), with no job reaching the broker;
- `judge`: what a case expects against the database and the reply;
- `report`: accuracy per kind and overall, and failing cases in full;
- `scratch`: a database of its own for `manage.py assistant_eval`, so the shop's data is never touched.

How to run it and how to write a case: docs/assistant-evaluation.md.
"""
