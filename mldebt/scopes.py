"""What a token or a user may do on the web scorecard: the scopes, and those a signed-in user has.

Apart from ``mldebt.access`` (which keeps the rules and the store's rows)
so that the command line can offer the scopes as choices without loading
the store's library: every command, `mldebt collect` too, would otherwise
pay for sqlite-utils before it starts its work.
"""

from __future__ import annotations

SCOPES = {
    "read": "read pages and the API when the server requires sign-in for reading",
    "attest": "record attestations",
    "waive": "record waivers",
    "push": "push evidence bundles from CI",
}
USER_SCOPES = frozenset({"read", "attest", "waive"})
