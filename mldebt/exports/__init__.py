"""What leaves mldebt as files: the backlog (CSV, Jira CSV, GitHub issues, Markdown, JSON), SARIF and the badge."""
