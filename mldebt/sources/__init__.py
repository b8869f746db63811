"""Where a project's files come from: the portfolio, git repositories (run safely through gitrun) and plain folders."""
