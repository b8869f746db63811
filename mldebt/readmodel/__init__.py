"""The read model every view reads: the stored scans, results, scores and rubrics (queries.py), a quarter's
standing of the portfolio, the backlog of paydown items, open effort, quarters, scorecards and campaigns."""
