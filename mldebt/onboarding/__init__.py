"""Onboarding many repositories at once: `mldebt portfolio import` from a CSV file, a GitHub organisation or a
GitLab group, merged into a portfolio file, with a push token per project.

``entries`` holds what every source yields (one project entry each) and how two
entries are known to name the same repository; ``csvlist`` and ``forges`` are
the sources; ``portfolio_file`` merges entries into the file, keeping what is
there; ``tokens`` makes each imported project's push token through
``mldebt.access``, the one write path for tokens.
"""
